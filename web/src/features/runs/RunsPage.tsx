import { Anchor, Badge, Button, Group, MultiSelect, Select, Text, Title } from "@mantine/core";
import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router-dom";
import { api } from "../../api";
import { Empty, ErrorState, Loading } from "../../components/States";
import { usePageTitle } from "../../components/usePageTitle";
import { allFields } from "../../lib/suggest";
import { nextSort, readViewState, writeViewState, type RunsViewState } from "../../lib/urlState";
import { useSession } from "../auth";
import { FIXED_COLUMNS, defaultColumns, keyColumn } from "./columns";
import { FilterBox } from "./FilterBox";
import { GroupBar } from "./GroupBar";
import { RunTable } from "./RunTable";
import { useTableKeys } from "./useTableKeys";

const PAGE = 200;

export function RunsPage() {
  const project = useParams().project as string;
  usePageTitle(project);
  const session = useSession();
  const [params, setParams] = useSearchParams();
  const view = readViewState(params);
  const navigate = useNavigate();
  const setView = (next: Partial<RunsViewState>) =>
    setParams(writeViewState({ ...view, ...next }), { replace: false });

  const keys = useQuery({ queryKey: ["keys", project], queryFn: () => api.projectKeys(project) });
  // the filter is checked first (200 either way), so a bad filter never costs a 400
  const needsCheck = view.filter.trim() !== "" || view.orderBy.length > 0;
  const check = useQuery({
    queryKey: ["check", view.filter, view.orderBy],
    queryFn: () => api.checkFilter(view.filter, view.orderBy),
    enabled: needsCheck,
  });
  const runs = useInfiniteQuery({
    enabled: !needsCheck || (check.isSuccess && check.data === null),
    queryKey: ["runs", project, view.filter, view.orderBy],
    queryFn: ({ pageParam }) =>
      api.searchRuns({ project, filter: view.filter || null, order_by: view.orderBy, limit: PAGE,
                       page_token: pageParam }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_page_token ?? undefined,
  });
  const rows = useMemo(() => runs.data?.pages.flatMap((p) => p.runs) ?? [], [runs.data]);
  // counted beside the first page, so rows paint without waiting for the count
  const count = useQuery({
    queryKey: ["count", project, view.filter],
    queryFn: () => api.countRuns(project, view.filter),
    enabled: !needsCheck || (check.isSuccess && check.data === null),
  });
  const total = count.data;

  const chosen = view.columns.length ? view.columns : defaultColumns(keys.data);
  const columns = [...FIXED_COLUMNS, ...chosen.map(keyColumn)];
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [active, setActive] = useState(-1);
  const filterRef = useRef<HTMLInputElement>(null);
  useEffect(() => setActive(-1), [view.filter, view.orderBy.join()]);

  useTableKeys({
    focusFilter: () => filterRef.current?.focus(),
    move: (delta) => setActive((a) => Math.max(0, Math.min(rows.length - 1, a + delta))),
    open: () => active >= 0 && rows[active] && navigate(`/runs/${rows[active].id}`),
    toggle: () => active >= 0 && rows[active] && toggle(rows[active].id),
  });
  const toggle = (id: string) =>
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const needMore = useCallback(() => {
    if (runs.hasNextPage && !runs.isFetchingNextPage) void runs.fetchNextPage();
  }, [runs]);

  const fieldOptions = keys.data ? allFields(keys.data).filter((f) => !f.startsWith("attributes.")) : [];
  const groupOptions = keys.data
    ? ["status", "user", "group", ...keys.data.params.map((k) => `params.${k}`), ...keys.data.tags.map((k) => `tags.${k}`)]
    : [];
  const filterError = (needsCheck && check.data) || (check.isError ? check.error : runs.isError ? runs.error : null);

  return (
    <>
      <Group justify="space-between" mb="sm">
        <Group gap="md" align="baseline">
          <Title order={2}>{project}</Title>
          {session.auth && (
            <Anchor component={Link} size="sm" to={`/projects/${encodeURIComponent(project)}/members`}>Members</Anchor>
          )}
        </Group>
        <Text size="sm" c="dimmed" data-testid="row-count">
          {total != null ? `${rows.length.toLocaleString()} of ${total.toLocaleString()} runs loaded` : ""}
        </Text>
      </Group>
      <Group align="flex-start" mb="xs" wrap="nowrap">
        <FilterBox ref={filterRef} value={view.filter} error={filterError} keys={keys.data}
                   onApply={(filter) => setView({ filter })} />
        <Button data-testid="compare-button" disabled={selected.size < 2 || selected.size > 50}
                onClick={() => navigate(`/compare?runs=${Array.from(selected).join(",")}`)}>
          Compare {selected.size > 0 ? `(${selected.size})` : ""}
        </Button>
      </Group>
      <Group mb="xs" gap="xs" align="flex-end">
        <MultiSelect data-testid="column-picker" label="Columns" size="xs" searchable clearable
                     data={fieldOptions} value={chosen} style={{ minWidth: 320, maxWidth: 700 }}
                     onChange={(columns) => setView({ columns })} />
        <Select label="Group by" size="xs" clearable searchable data={groupOptions}
                value={view.groupBy} onChange={(groupBy) => setView({ groupBy })} w={220} />
        {view.orderBy.length > 0 && <Badge variant="outline">sorted by {view.orderBy.join(", ")}</Badge>}
      </Group>
      {view.groupBy && (
        <GroupBar project={project} groupBy={view.groupBy} filter={view.filter}
                  onPick={(clause) => setView({ filter: view.filter ? `(${view.filter}) and ${clause}` : clause })} />
      )}
      {filterError && (filterError as { code?: string }).code !== "invalid_query" && (
        <ErrorState error={filterError} />
      )}
      {runs.isPending && !filterError && <Loading what="runs" />}
      {runs.isSuccess && rows.length === 0 && (
        <Empty>{view.filter ? "No run matches this filter." : "This project has no runs yet."}</Empty>
      )}
      {rows.length > 0 && (
        <RunTable runs={rows} columns={columns} orderBy={view.orderBy} selected={selected} active={active}
                  hasMore={!!runs.hasNextPage} onNeedMore={needMore} onToggle={toggle} onActivate={setActive}
                  onSort={(column) => setView({ orderBy: nextSort(view.orderBy, column) })} />
      )}
    </>
  );
}

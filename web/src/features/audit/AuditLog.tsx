import { Anchor, Button, Code, Group, Paper, Table, Text } from "@mantine/core";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router-dom";
import { accountsApi, type AuditEntryPublic, type AuditFilter } from "../../api/accounts";
import { Empty, ErrorState, Loading } from "../../components/States";
import { formatTime } from "../../lib/format";

const PAGE = 50;

function details(entry: AuditEntryPublic): string {
  const text = JSON.stringify(entry.details);
  return text === "{}" ? "" : text;
}

function EntryRow({ entry, showRun }: { entry: AuditEntryPublic; showRun: boolean }) {
  return (
    <Table.Tr data-testid="audit-row" data-action={entry.action} data-seq={entry.seq}>
      <Table.Td>{entry.seq}</Table.Td>
      <Table.Td style={{ whiteSpace: "nowrap" }}>{formatTime(entry.time_ms)}</Table.Td>
      <Table.Td>{entry.actor}</Table.Td>
      <Table.Td><Code>{entry.action}</Code></Table.Td>
      {showRun && <Table.Td>{entry.project ?? ""}</Table.Td>}
      <Table.Td>
        {showRun && entry.run_id
          ? <Anchor component={Link} to={`/runs/${entry.run_id}`}>{entry.target}</Anchor>
          : entry.target}
      </Table.Td>
      <Table.Td><Text size="xs" ff="monospace" style={{ wordBreak: "break-all" }}>{details(entry)}</Text></Table.Td>
      <Table.Td><Text size="xs" c="dimmed">{entry.address ?? ""}</Text></Table.Td>
    </Table.Tr>
  );
}

/** Audit entries matching ``filter``, newest first, a page at a time (the server pages
 *  backwards from the newest; "Newer" goes back through the pages already seen).  The run
 *  page's tab leaves out the project and the links to the run (``showRun`` false). */
export function AuditLog({ filter, showRun = true }: { filter: AuditFilter; showRun?: boolean }) {
  // the page tokens visited, for this filter (another filter starts again at the newest)
  const key = JSON.stringify(filter);
  const [paging, setPaging] = useState<{ key: string; tokens: (string | null)[] }>({ key, tokens: [null] });
  const tokens = paging.key === key ? paging.tokens : [null];
  const go = (next: (string | null)[]) => setPaging({ key, tokens: next });
  const token = tokens[tokens.length - 1];
  const page = useQuery({
    queryKey: ["audit", filter, token],
    queryFn: () => accountsApi.audit(filter, token, PAGE),
    placeholderData: keepPreviousData,
    retry: false,
  });
  if (page.isPending) return <Loading what="the audit log" />;
  if (page.isError) return <ErrorState error={page.error} />;
  const { entries, next_page_token } = page.data;
  const first = tokens.length === 1;
  if (!entries.length && first) return <Empty>No audit entries{filter.run_id ? " for this run" : ""}.</Empty>;
  return (
    <>
      <Paper withBorder>
        <Table fz="sm" data-testid="audit-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>#</Table.Th><Table.Th>When</Table.Th><Table.Th>Who</Table.Th><Table.Th>Action</Table.Th>
              {showRun && <Table.Th>Project</Table.Th>}<Table.Th>Target</Table.Th><Table.Th>Details</Table.Th><Table.Th>From</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>{entries.map((e) => <EntryRow key={e.seq} entry={e} showRun={showRun} />)}</Table.Tbody>
        </Table>
      </Paper>
      {(!first || next_page_token) && (
        <Group mt="sm" gap="xs">
          <Button size="xs" variant="default" disabled={first || page.isFetching}
                  onClick={() => go(tokens.slice(0, -1))}>Newer</Button>
          <Button size="xs" variant="default" disabled={!next_page_token || page.isFetching}
                  onClick={() => go([...tokens, next_page_token])}>Older</Button>
          <Text size="xs" c="dimmed" data-testid="audit-page">page {tokens.length}</Text>
        </Group>
      )}
    </>
  );
}

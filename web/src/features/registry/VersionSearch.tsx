import { Button, Group, Stack, Text, TextInput, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useSearchParams } from "react-router-dom";
import { Loading } from "../../components/States";
import { RegistryError } from "./RegistryError";
import { keys, registryApi } from "./registryApi";
import { VersionsTable } from "./VersionsTable";

const EXAMPLES = ["run.metrics.acc > 0.9", "alias = 'champion'", "name = 'churn'"];

/** Versions of every model matching a filter (POST /registry/search); the filter lives in
 *  the URL (?q=…) so a search can be shared. */
export function VersionSearch() {
  const [params, setParams] = useSearchParams();
  const query = params.get("q") ?? "";
  const [text, setText] = useState(query);
  useEffect(() => setText(query), [query]);
  const results = useQuery({
    queryKey: keys.search(query),
    queryFn: () => registryApi.search(query),
    enabled: query !== "",
    retry: false,
  });
  const submit = (next: string) =>
    setParams((prev) => {
      const out = new URLSearchParams(prev);
      if (next.trim()) out.set("q", next.trim());
      else out.delete("q");
      return out;
    });
  return (
    <Stack gap="xs" component="section" aria-labelledby="search-heading">
      <Title order={3} id="search-heading">Search versions</Title>
      <form role="search" aria-label="Search versions" onSubmit={(e) => { e.preventDefault(); submit(text); }}>
        <Group align="flex-end">
          <TextInput label="Filter" placeholder={EXAMPLES.join("   ·   ")} value={text} style={{ flex: 1 }}
                     onChange={(e) => setText(e.currentTarget.value)} data-testid="version-filter"
                     description="The run search language: run.metrics.…, run.params.…, alias, name, version, tags.…" />
          <Button type="submit">Search</Button>
          {query && <Button variant="default" onClick={() => { setText(""); submit(""); }}>Clear</Button>}
        </Group>
      </form>
      {results.isFetching && !results.data && <Loading what="matching versions" />}
      {results.isError && <RegistryError error={results.error} />}
      {results.data && results.data.length === 0 && <Text size="sm" c="dimmed">No version matches {query}.</Text>}
      {results.data && results.data.length > 0 && (
        <>
          <Text size="sm" c="dimmed" data-testid="search-count">
            {results.data.length === 100 ? "The first 100 versions" : `${results.data.length} version${results.data.length === 1 ? "" : "s"}`} matching {query}
          </Text>
          <VersionsTable versions={results.data} showModel testId="search-results" />
        </>
      )}
    </Stack>
  );
}

import { Anchor, Badge, Checkbox, Code, Group, ScrollArea, Table, Text, TextInput } from "@mantine/core";
import { useMemo, useState } from "react";
import { NotCaptured, Section } from "./Facts";
import { section, shortSha, type EnvironmentDoc } from "./model";
import { filterPackages, packageRows, type PackageRow } from "./packages";

function Source({ row }: { row: PackageRow }) {
  const d = row.direct;
  if (!d) return null;
  const url = d.url ?? "";
  return (
    <Group gap={6} wrap="nowrap">
      <Badge size="xs" variant="light" color={d.editable ? "grape" : "blue"} data-testid="package-source"
             style={{ flexShrink: 0 }}>{d.editable ? "editable" : "direct URL"}</Badge>
      {/^https?:\/\//.test(url) ? <Anchor size="xs" href={url} target="_blank" rel="noreferrer">{url}</Anchor>
                                : <Text size="xs" ff="monospace" style={{ wordBreak: "break-all" }}>{url}</Text>}
      {d.commit && <Code title={d.commit}>{shortSha(d.commit)}</Code>}
    </Group>
  );
}

/** Every installed distribution (name -> version), searchable; packages installed from a
 *  URL or a local folder say so. */
export function PackagesSection({ env }: { env: EnvironmentDoc }) {
  const packages = section(env, "packages");
  const rows = useMemo(() => (packages ? packageRows(packages) : []), [packages]);
  const [query, setQuery] = useState("");
  const [directOnly, setDirectOnly] = useState(false);
  const shown = useMemo(() => filterPackages(rows, query, directOnly), [rows, query, directOnly]);
  if (!packages) return <Section title="Packages" testId="env-packages"><NotCaptured what="packages" /></Section>;
  const direct = rows.filter((r) => r.direct).length;
  const filtered = query.trim() !== "" || directOnly;
  return (
    <Section title="Packages" testId="env-packages">
      <Group justify="space-between" align="flex-end">
        <Text size="sm" data-testid="packages-count">
          {filtered ? `${shown.length} of ${rows.length} packages` : `${rows.length} ${rows.length === 1 ? "package" : "packages"}`}
          {direct > 0 && <Text span size="sm" c="dimmed">{` · ${direct} from a URL or local folder`}</Text>}
        </Text>
        <Group gap="sm" align="center">
          <Checkbox size="xs" label="direct URL / editable only" checked={directOnly} disabled={!direct}
                    onChange={(e) => setDirectOnly(e.currentTarget.checked)} data-testid="packages-direct-only" />
          <TextInput size="xs" w={240} placeholder="search name or version" value={query} data-testid="packages-search"
                     aria-label="search packages" onChange={(e) => setQuery(e.currentTarget.value)} />
        </Group>
      </Group>
      <ScrollArea.Autosize mah={420} type="auto">
        <Table withTableBorder striped stickyHeader fz="sm" verticalSpacing={4} data-testid="packages-table">
          <Table.Thead>
            <Table.Tr><Table.Th w="35%">package</Table.Th><Table.Th w="20%">version</Table.Th><Table.Th>installed from</Table.Th></Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {shown.map((r) => (
              <Table.Tr key={r.name} data-testid="package-row" data-name={r.name}>
                <Table.Td ff="monospace">{r.name}</Table.Td>
                <Table.Td ff="monospace" data-testid="package-version">{r.version}</Table.Td>
                <Table.Td><Source row={r} /></Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </ScrollArea.Autosize>
      {shown.length === 0 && <Text size="sm" c="dimmed">No package matches.</Text>}
    </Section>
  );
}

import { Badge, Code, Paper, ScrollArea, Stack, Table, Text, Title } from "@mantine/core";
import { useQueries } from "@tanstack/react-query";
import type { RunPublic } from "../../../api";
import { PALETTE } from "../../../components/charts/LineChart";
import { ErrorState, Loading } from "../../../components/States";
import { environmentQuery } from "./environmentApi";
import { environmentFacts, shortSha, type EnvironmentDoc, type EnvironmentFacts } from "./model";
import { diffPackages, isEmptyDiff, packageVersions } from "./packages";

const FACTS: { key: keyof EnvironmentFacts; label: string; mono?: boolean }[] = [
  { key: "commit", label: "git commit", mono: true },
  { key: "branch", label: "branch" },
  { key: "dirty", label: "work tree" },
  { key: "python", label: "Python" },
  { key: "packages", label: "packages" },
];

function FactsDiff({ runs, docs }: { runs: RunPublic[]; docs: (EnvironmentDoc | null)[] }) {
  const facts = docs.map(environmentFacts);
  return (
    <Table withTableBorder data-testid="env-facts-diff">
      <Table.Thead>
        <Table.Tr>
          <Table.Th />
          {runs.map((r, i) => <Table.Th key={r.id} style={{ color: PALETTE[i % PALETTE.length] }}>{r.name}</Table.Th>)}
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {FACTS.map(({ key, label, mono }) => {
          const values = facts.map((f) => f[key]);
          const differs = new Set(values).size > 1;
          return (
            <Table.Tr key={key} data-testid="env-fact-row" data-key={key} data-differs={differs} className={differs ? "ll-differs" : undefined}>
              <Table.Td>{label}</Table.Td>
              {values.map((v, i) => (
                <Table.Td key={i} ff={mono ? "monospace" : undefined} title={v ?? undefined}>
                  {v === null ? <Text span c="dimmed">not captured</Text> : key === "commit" ? shortSha(v) : v}
                </Table.Td>
              ))}
            </Table.Tr>
          );
        })}
      </Table.Tbody>
    </Table>
  );
}

const CHANGE = {
  added: { color: "green", label: "added" },
  removed: { color: "red", label: "removed" },
  upgraded: { color: "blue", label: "upgraded" },
  downgraded: { color: "orange", label: "downgraded" },
  changed: { color: "gray", label: "changed" },
} as const;

function PackagesDiff({ base, other, baseDoc, otherDoc }: { base: RunPublic; other: RunPublic; baseDoc: EnvironmentDoc | null; otherDoc: EnvironmentDoc | null }) {
  const a = packageVersions(baseDoc);
  const b = packageVersions(otherDoc);
  const missing = [a ? null : base.name, b ? null : other.name].filter(Boolean);
  const heading = <Text size="sm" fw={600}>{other.name} <Text span c="dimmed" fw={400}>against</Text> {base.name}</Text>;
  if (!a || !b) return <Stack gap={4}>{heading}<Text size="sm" c="dimmed">Packages were not captured for {missing.join(" and ")}.</Text></Stack>;
  const diff = diffPackages(a, b);
  // what changed first, then what was added and removed; each by name
  const rows = [
    ...diff.changed.map((p) => ({
      change: p.direction > 0 ? ("upgraded" as const) : p.direction < 0 ? ("downgraded" as const) : ("changed" as const),
      name: p.name, from: p.from as string | null, to: p.to as string | null,
    })),
    ...diff.added.map((p) => ({ change: "added" as const, name: p.name, from: null, to: p.version })),
    ...diff.removed.map((p) => ({ change: "removed" as const, name: p.name, from: p.version, to: null })),
  ];
  return (
    <Stack gap={4} data-testid="package-diff" data-run={other.id}>
      {heading}
      <Text size="sm" data-testid="package-diff-summary">
        {diff.added.length} added · {diff.removed.length} removed · {diff.changed.length} changed · {diff.same} the same
      </Text>
      {isEmptyDiff(diff) ? <Text size="sm" c="dimmed">The same packages and versions.</Text> : (
        <ScrollArea.Autosize mah={400} type="auto">
          <Table withTableBorder striped stickyHeader fz="sm" verticalSpacing={4}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th w="35%">package</Table.Th><Table.Th w="15%">change</Table.Th>
                <Table.Th w="25%">{base.name}</Table.Th><Table.Th w="25%">{other.name}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((r) => (
                <Table.Tr key={r.name} data-testid="package-diff-row" data-name={r.name} data-change={r.change}>
                  <Table.Td ff="monospace">{r.name}</Table.Td>
                  <Table.Td><Badge size="xs" variant="light" color={CHANGE[r.change].color}>{CHANGE[r.change].label}</Badge></Table.Td>
                  <Table.Td ff="monospace">{r.from ?? "—"}</Table.Td>
                  <Table.Td ff="monospace">{r.to ?? "—"}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </ScrollArea.Autosize>
      )}
    </Stack>
  );
}

/** The compare view's environment: commit, Python and package count side by side, and the
 *  packages each run added, removed or changed against the first run. */
export function EnvironmentCompare({ runs }: { runs: RunPublic[] }) {
  const queries = useQueries({ queries: runs.map((r) => environmentQuery(r.id, r.status === "running")) });
  const failed = queries.find((q) => q.isError);
  let body;
  if (failed) body = <ErrorState error={failed.error} />;
  else if (queries.some((q) => q.isPending)) body = <Loading what="the environments" />;
  else {
    const docs = queries.map((q) => q.data?.environment ?? null);
    body = (
      <Stack gap="md">
        <FactsDiff runs={runs} docs={docs} />
        {runs.length > 2 && (
          <Text size="sm" c="dimmed" data-testid="package-baseline">
            Each run's packages are compared with the first run's, <Code>{runs[0].name}</Code>.
          </Text>
        )}
        {runs.slice(1).map((r, i) => (
          <PackagesDiff key={r.id} base={runs[0]} other={r} baseDoc={docs[0]} otherDoc={docs[i + 1]} />
        ))}
      </Stack>
    );
  }
  return (
    <Paper withBorder p="sm" mb="md" data-testid="env-compare">
      <Title order={4} mb="xs">Packages and environment</Title>
      {body}
    </Paper>
  );
}

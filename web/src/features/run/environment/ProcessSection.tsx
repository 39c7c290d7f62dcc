import { Code, Group, ScrollArea, Table, Text, TextInput } from "@mantine/core";
import { useMemo, useState } from "react";
import { Facts, NotCaptured, Section, type Fact } from "./Facts";
import { commandLine, formatValue, isObject, section, type EnvironmentDoc } from "./model";

const mono = (v: unknown) => (v == null || v === "" ? "—" : <Code>{formatValue(v)}</Code>);

const PROCESS: Fact[] = [
  { key: "cwd", label: "Working directory", render: mono },
  { key: "executable", label: "Executable", render: mono },
  { key: "entry_point", label: "Entry point", render: mono },
  { key: "module", label: "Module (-m)", render: mono },
  { key: "notebook", label: "Notebook" },
  { key: "pid", label: "PID" },
  { key: "ppid", label: "Parent PID" },
];

function Variables({ variables }: { variables: Record<string, unknown> }) {
  const [query, setQuery] = useState("");
  const names = useMemo(() => Object.keys(variables).sort(), [variables]);
  const q = query.trim().toLowerCase();
  const shown = q ? names.filter((n) => n.toLowerCase().includes(q) || formatValue(variables[n]).toLowerCase().includes(q)) : names;
  return (
    <>
      <Group justify="space-between" align="flex-end">
        <Text size="xs" c="dimmed" data-testid="env-vars-count">
          Environment variables: {q ? `${shown.length} of ${names.length}` : names.length} (secrets redacted before upload)
        </Text>
        <TextInput size="xs" w={240} placeholder="filter variables" value={query} aria-label="filter environment variables"
                   onChange={(e) => setQuery(e.currentTarget.value)} />
      </Group>
      <ScrollArea.Autosize mah={360} type="auto">
        <Table withTableBorder striped fz="xs" stickyHeader verticalSpacing={4} data-testid="env-vars">
          <Table.Thead><Table.Tr><Table.Th w="30%">variable</Table.Th><Table.Th>value</Table.Th></Table.Tr></Table.Thead>
          <Table.Tbody>
            {shown.map((n) => (
              <Table.Tr key={n} data-testid="env-var" data-name={n}>
                <Table.Td ff="monospace" style={{ wordBreak: "break-all" }}>{n}</Table.Td>
                <Table.Td ff="monospace" style={{ wordBreak: "break-all" }}>{formatValue(variables[n])}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </ScrollArea.Autosize>
    </>
  );
}

/** How the run was started: the command line, where, and with which variables. */
export function ProcessSection({ env }: { env: EnvironmentDoc }) {
  const process = section(env, "process");
  if (!process) {
    return <Section title="Process" testId="env-process"><NotCaptured what="process" /></Section>;
  }
  const command = commandLine(process.argv);
  return (
    <Section title="Process" testId="env-process">
      <Text size="xs" c="dimmed">Command line (argv)</Text>
      {command ? <Code block data-testid="command-line" style={{ whiteSpace: "pre-wrap", wordBreak: "break-all" }}>{command}</Code>
               : <Text size="sm">—</Text>}
      <Facts data={process} fields={PROCESS} cols={3} hide={["argv", "environment"]} />
      {isObject(process.environment) && <Variables variables={process.environment} />}
    </Section>
  );
}

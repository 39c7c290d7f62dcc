import { Alert, Paper, SimpleGrid, Stack, Text, Title } from "@mantine/core";
import type { ReactNode } from "react";
import { formatValue, type Section as SectionData } from "./model";

/** A titled card of the environment tab. */
export function Section({ title, testId, extra, children }: { title: string; testId: string; extra?: ReactNode; children: ReactNode }) {
  return (
    <Paper withBorder p="md" data-testid={testId}>
      <Stack gap="sm">
        <Title order={4}>{title}{extra}</Title>
        {children}
      </Stack>
    </Paper>
  );
}

export interface Fact {
  key: string;
  label: string;
  /** how to show the value; formatValue when omitted */
  render?: (value: unknown, data: SectionData) => ReactNode;
}

function Value({ children }: { children: ReactNode }) {
  return <Text size="sm" component="div" style={{ wordBreak: "break-word" }}>{children}</Text>;
}

/** A section's fields as label/value pairs: the known ones first, in order, then whatever
 *  else the document carries (a newer SDK's fields) under their own names.  A part whose
 *  capture failed says so. */
export function Facts({ data, fields, cols = 2, hide = [] }: { data: SectionData; fields: Fact[]; cols?: number; hide?: string[] }) {
  const known = new Set([...fields.map((f) => f.key), ...hide, "error"]);
  const extra = Object.keys(data).filter((k) => !known.has(k)).sort();
  const shown = [...fields.filter((f) => f.key in data), ...extra.map((key) => ({ key, label: key }) as Fact)];
  return (
    <Stack gap="xs">
      {data.error != null && (
        <Alert color="yellow" title="Part of this capture failed" data-testid="capture-error">{formatValue(data.error)}</Alert>
      )}
      <SimpleGrid cols={{ base: 1, sm: cols }} spacing="sm" verticalSpacing="xs">
        {shown.map((f) => (
          <Stack key={f.key} gap={0} data-testid="fact" data-key={f.key}>
            <Text size="xs" c="dimmed">{f.label}</Text>
            <Value>{f.render ? f.render(data[f.key], data) : formatValue(data[f.key])}</Value>
          </Stack>
        ))}
      </SimpleGrid>
    </Stack>
  );
}

/** What a section says when its part is missing from the document. */
export function NotCaptured({ what, none }: { what: string; none?: string }) {
  return (
    <Text size="sm" c="dimmed" data-testid="not-captured">
      {none ?? `Not captured: the ${what} part was switched off (LABLEDGER_CAPTURE) or the SDK that logged the run predates it.`}
    </Text>
  );
}

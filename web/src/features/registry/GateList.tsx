import { List, Text, ThemeIcon } from "@mantine/core";
import type { GatePublic } from "./registryApi";

/** Each gate of a policy with pass or fail, its rule and what the server found. */
export function GateList({ gates, testId }: { gates: ReadonlyArray<GatePublic>; testId?: string }) {
  if (gates.length === 0) return <Text size="sm" c="dimmed" data-testid={testId}>No policy gates: any version may take this alias.</Text>;
  return (
    <List spacing={4} size="sm" data-testid={testId} listStyleType="none" withPadding={false}>
      {gates.map((g, i) => (
        <List.Item key={`${g.gate}-${g.rule}-${i}`} data-testid="gate" data-passed={g.passed}
                   icon={<ThemeIcon size={18} radius="xl" color={g.passed ? "green" : "red"} aria-hidden>{g.passed ? "✓" : "✗"}</ThemeIcon>}>
          <Text span size="sm" fw={600}>{g.rule}</Text>
          <Text span size="sm" c="dimmed"> ({g.passed ? "passes" : "fails"})</Text>
          {g.message && <Text span size="sm">: {g.message}</Text>}
        </List.Item>
      ))}
    </List>
  );
}

import { Badge, Group, Text } from "@mantine/core";

/** Alias names as badges ("champion"), or "alias → vN" when the version is given. */
export function AliasBadges({ aliases }: { aliases: ReadonlyArray<string> | Record<string, number> }) {
  const items = Array.isArray(aliases)
    ? (aliases as string[]).map((a) => ({ key: a, text: a }))
    : Object.entries(aliases).sort(([a], [b]) => a.localeCompare(b)).map(([a, v]) => ({ key: a, text: `${a} → v${v}` }));
  if (items.length === 0) return <Text size="sm" c="dimmed">—</Text>;
  return (
    <Group gap={4}>
      {items.map((i) => (
        <Badge key={i.key} variant="light" color="grape" style={{ textTransform: "none" }} data-testid="alias-badge">{i.text}</Badge>
      ))}
    </Group>
  );
}

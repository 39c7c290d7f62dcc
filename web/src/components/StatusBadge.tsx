import { Badge } from "@mantine/core";

const COLORS: Record<string, string> = {
  running: "blue",
  finished: "green",
  failed: "red",
  killed: "orange",
};

export function StatusBadge({ status }: { status: string }) {
  return (
    <Badge color={COLORS[status] ?? "gray"} variant="light" size="sm">
      {status}
    </Badge>
  );
}

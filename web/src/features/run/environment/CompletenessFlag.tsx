import { Badge, Tooltip } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { provenanceApi } from "./environmentApi";

/** "incomplete: lacks git.commit, datasets" beside the run's name when the run misses a
 *  field its project requires (``labledger projects require``); nothing otherwise. */
export function CompletenessFlag({ runId, project, running }: { runId: string; project: string; running: boolean }) {
  const check = useQuery({
    queryKey: ["completeness", runId],
    queryFn: () => provenanceApi.completeness(runId),
    refetchInterval: running ? 5000 : false,
  });
  const missing = check.data?.missing ?? [];
  if (!missing.length) return null;
  return (
    <Tooltip withinPortal multiline maw={420}
             label={`Project ${project} requires ${check.data?.required.join(", ")}; this run lacks ${missing.join(", ")}.`}>
      <Badge color="orange" variant="light" size="lg" style={{ textTransform: "none" }} data-testid="incomplete-flag">
        incomplete: lacks {missing.join(", ")}
      </Badge>
    </Tooltip>
  );
}

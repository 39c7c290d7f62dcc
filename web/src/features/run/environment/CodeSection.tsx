import { Anchor, Badge, Code, Text } from "@mantine/core";
import "./environment.css";
import { DiffView } from "./DiffView";
import { Facts, NotCaptured, Section, type Fact } from "./Facts";
import { dirtySummary, formatValue, remoteWebUrl, section, text, type EnvironmentDoc } from "./model";

const GIT: Fact[] = [
  { key: "commit", label: "Commit", render: (v) => (v ? <Code data-testid="git-commit">{formatValue(v)}</Code> : "—") },
  { key: "branch", label: "Branch", render: (v) => (v ? formatValue(v) : <Text span c="dimmed">detached HEAD</Text>) },
  {
    key: "remote_url", label: "Remote",
    render: (v) => {
      const web = remoteWebUrl(text(v));
      return web ? <Anchor href={web} target="_blank" rel="noreferrer">{formatValue(v)}</Anchor> : formatValue(v);
    },
  },
  {
    key: "dirty", label: "Work tree",
    render: (_, git) => (
      <Badge variant="light" color={git.dirty ? "orange" : "teal"} style={{ textTransform: "none" }} data-testid="git-dirty">
        {dirtySummary(git)}
      </Badge>
    ),
  },
  { key: "remote_name", label: "Remote name" },
  { key: "root", label: "Repository root", render: (v) => (v ? <Code>{formatValue(v)}</Code> : "—") },
  { key: "untracked_paths", label: "Untracked (first 20)" },
];

/** The code the run ran: commit, branch, remote, dirty state and the uncommitted diff. */
export function CodeSection({ runId, env }: { runId: string; env: EnvironmentDoc }) {
  const git = section(env, "git");
  if (!git) {
    const none = "git" in env && env.git === null ? "Not in a git work tree." : undefined;
    return <Section title="Code" testId="env-code"><NotCaptured what="git" none={none} /></Section>;
  }
  return (
    <Section title="Code" testId="env-code">
      <Facts data={git} fields={GIT} cols={3}
             hide={["changed_count", "untracked_count", "diff_bytes", "diff_truncated"]} />
      <DiffView runId={runId} dirty={typeof git.dirty === "boolean" ? git.dirty : null} truncated={git.diff_truncated === true}
                diffBytes={typeof git.diff_bytes === "number" ? git.diff_bytes : null} />
    </Section>
  );
}

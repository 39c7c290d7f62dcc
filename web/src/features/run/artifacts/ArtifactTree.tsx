import { Anchor, Badge, Group, Text } from "@mantine/core";
import { useVirtualizer } from "@tanstack/react-virtual";
import { useEffect, useRef } from "react";
import type { ArtifactPublic } from "../../../api";
import { artifactFileUrl } from "../../../lib/artifactPreview";
import type { FileNode, FolderNode, TreeRow } from "../../../lib/artifactTree";
import { formatBytes } from "../../../lib/format";
import { Digest } from "./Digest";

const ROW_HEIGHT = 30;
const TEMPLATE = "minmax(0, 1fr) 76px 112px 28px";

interface Props {
  runId: string;
  rows: TreeRow<ArtifactPublic>[];
  expanded: ReadonlySet<string>;
  selected: string | null;
  latest: string | null;
  onToggle: (folder: string) => void;
  onSelect: (path: string) => void;
}

function FolderRow({ node, open }: { node: FolderNode<ArtifactPublic>; open: boolean }) {
  return (
    <>
      <div className="ll-td" title={node.path}>
        <Text span size="sm" fw={600}>{open ? "▾" : "▸"} {node.name}/</Text>
        <Text span size="xs" c="dimmed"> {node.files} {node.files === 1 ? "file" : "files"}</Text>
        {node.pending > 0 && <Badge ml={6} size="xs" color="yellow" variant="light">{node.pending} pending</Badge>}
      </div>
      <div className="ll-td" style={{ textAlign: "right" }} data-testid="artifact-size">{formatBytes(node.size)}</div>
      <div />
      <div />
    </>
  );
}

function FileRow({ runId, node, latest }: { runId: string; node: FileNode<ArtifactPublic>; latest: boolean }) {
  const e = node.entry;
  return (
    <>
      <div className="ll-td" title={node.path}>
        <Group gap={6} wrap="nowrap">
          <Text span size="sm" style={{ overflow: "hidden", textOverflow: "ellipsis" }}>{node.name}</Text>
          {e.step != null && (
            <Badge size="xs" variant="outline" data-testid="step-badge" style={{ flexShrink: 0 }}>step {e.step}</Badge>
          )}
          {latest && <Badge size="xs" color="teal" variant="light" style={{ flexShrink: 0 }}>latest</Badge>}
          {e.state === "pending" && (
            <Badge size="xs" color="yellow" variant="filled" data-testid="pending-badge" style={{ flexShrink: 0 }}
                   title="declared, its upload has not completed yet">pending</Badge>
          )}
        </Group>
      </div>
      <div className="ll-td" style={{ textAlign: "right" }} data-testid="artifact-size">{formatBytes(e.size)}</div>
      <div className="ll-td"><Digest digest={e.digest} /></div>
      <div className="ll-td">
        {e.state === "stored" && (
          <Anchor href={artifactFileUrl(runId, e.path, { download: true })} aria-label={`download ${e.path}`}
                  data-testid="row-download" onClick={(ev) => ev.stopPropagation()} title="download">↓</Anchor>
        )}
      </div>
    </>
  );
}

/** The manifest as a tree; virtualized, so a run with 100,000 files draws only what is visible. */
export function ArtifactTree({ runId, rows, expanded, selected, latest, onToggle, onSelect }: Props) {
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 20,
  });
  const selectedIndex = rows.findIndex((r) => r.node.kind === "file" && r.node.path === selected);
  useEffect(() => {
    if (selectedIndex >= 0) virtualizer.scrollToIndex(selectedIndex, { align: "auto" });
  }, [selectedIndex, virtualizer]);
  return (
    <div ref={scroller} className="ll-table" data-testid="artifacts-tree" role="tree"
         style={{ maxHeight: "calc(100vh - 240px)", minHeight: 120, overflow: "auto" }}>
      <div className="ll-thead" style={{ gridTemplateColumns: TEMPLATE }}>
        <div className="ll-th">path</div>
        <div className="ll-th" style={{ textAlign: "right" }}>size</div>
        <div className="ll-th">sha256</div>
        <div />
      </div>
      <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
        {virtualizer.getVirtualItems().map((item) => {
          const { node, depth } = rows[item.index];
          const isFolder = node.kind === "folder";
          const open = isFolder && expanded.has(node.path);
          const active = !isFolder && node.path === selected;
          const activate = () => (isFolder ? onToggle(node.path) : onSelect(node.path));
          return (
            <div key={`${node.kind}:${node.path}`} role="treeitem" tabIndex={0}
                 aria-expanded={isFolder ? open : undefined} aria-selected={active}
                 data-testid="artifact-row" data-path={node.path} data-kind={node.kind}
                 data-state={isFolder ? undefined : node.entry.state}
                 className={`ll-tr${active ? " ll-selected" : ""}`}
                 onClick={activate}
                 onKeyDown={(ev) => { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); activate(); } }}
                 style={{ gridTemplateColumns: TEMPLATE, transform: `translateY(${item.start}px)`, height: ROW_HEIGHT,
                          cursor: "pointer", paddingLeft: depth * 16 }}>
              {isFolder ? <FolderRow node={node} open={open} />
                        : <FileRow runId={runId} node={node} latest={node.path === latest} />}
            </div>
          );
        })}
      </div>
    </div>
  );
}

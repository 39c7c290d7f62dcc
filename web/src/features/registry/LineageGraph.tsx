import { Anchor, Text } from "@mantine/core";
import { Link } from "react-router-dom";
import { BOX, nodeLink, nodeText, type Layout, type PlacedNode } from "./lineageLayout";
import "./lineage.css";

const KIND_COLORS: Record<string, string> = {
  dataset: "teal", commit: "gray", environment: "gray", run: "blue", blob: "yellow", version: "grape", deployment: "orange",
};

function NodeBox({ placed, root }: { placed: PlacedNode; root: boolean }) {
  const { node } = placed;
  const link = nodeLink(node);
  const { title, detail } = nodeText(node);
  const color = KIND_COLORS[node.kind] ?? "gray";
  return (
    <div className={`ll-lineage-node${root ? " ll-lineage-root" : ""}`} role="listitem"
         style={{ left: placed.x, top: placed.y, width: BOX.width, height: BOX.height, borderColor: `var(--mantine-color-${color}-5)` }}
         data-testid="lineage-node" data-kind={node.kind} data-node={node.id} title={node.id}>
      <Text size="10px" tt="uppercase" c={`${color}.8`} fw={700} lh={1.2}>{node.kind}{root ? " · start" : ""}</Text>
      {link ? (
        <Anchor component={Link} to={link.to} size="sm" fw={600} className="ll-lineage-title" aria-label={`${title}: open ${link.what}`}>{title}</Anchor>
      ) : (
        <Text size="sm" fw={600} className="ll-lineage-title">{title}</Text>
      )}
      {detail && <Text size="xs" c="dimmed" className="ll-lineage-title">{detail}</Text>}
    </div>
  );
}

/** The laid-out graph: column headings, boxes, and SVG curves from each source to its target
 *  with the relation written at the curve's middle. */
export function LineageGraph({ layout, root }: { layout: Layout; root: string }) {
  return (
    <div className="ll-lineage-scroll">
      <div className="ll-lineage" style={{ width: layout.width, height: layout.height }} data-testid="lineage-graph">
        <svg width={layout.width} height={layout.height} aria-hidden className="ll-lineage-edges">
          <defs>
            <marker id="ll-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
              <path d="M 0 0 L 10 5 L 0 10 z" fill="var(--mantine-color-gray-6)" />
            </marker>
          </defs>
          {layout.edges.map((e) => (
            <path key={`${e.edge.from}>${e.edge.to}`} d={e.path} fill="none" stroke="var(--mantine-color-gray-5)" strokeWidth={1.4}
                  markerEnd="url(#ll-arrow)" data-testid="lineage-edge" data-from={e.edge.from} data-to={e.edge.to}>
              <title>{`${e.edge.from} ${e.edge.relation} ${e.edge.to}`}</title>
            </path>
          ))}
        </svg>
        {layout.columns.map((c) => (
          <Text key={c.title} className="ll-lineage-heading" style={{ left: c.x, width: BOX.width }} size="sm" fw={700} c="dimmed">
            {c.title}
          </Text>
        ))}
        <div role="list" aria-label="Nodes">
          {layout.nodes.map((n) => <NodeBox key={n.node.id} placed={n} root={n.node.id === root} />)}
        </div>
      </div>
    </div>
  );
}

import { Box, Text, UnstyledButton } from "@mantine/core";
import { useState } from "react";
import { Empty } from "../../components/States";
import { paramTree, type ParamNode } from "../../lib/paramTree";

function NodeView({ node, depth }: { node: ParamNode; depth: number }) {
  const [open, setOpen] = useState(depth < 2);
  if (node.children.length === 0) {
    return (
      <Box pl={depth * 16} py={2} data-testid="param" data-key={node.path}>
        <Text span ff="monospace" size="sm" c="dimmed">{node.name}</Text>
        <Text span ff="monospace" size="sm"> = {node.value}</Text>
      </Box>
    );
  }
  return (
    <Box pl={depth * 16}>
      <UnstyledButton onClick={() => setOpen(!open)} py={2}>
        <Text ff="monospace" size="sm" fw={600}>{open ? "▾" : "▸"} {node.name}{node.value !== undefined ? ` = ${node.value}` : ""}</Text>
      </UnstyledButton>
      {open && node.children.map((c) => <NodeView key={c.path} node={c} depth={1} />)}
    </Box>
  );
}

export function ParamsTree({ params }: { params: Record<string, string> }) {
  const tree = paramTree(params);
  if (!tree.length) return <Empty>No params recorded.</Empty>;
  return <Box>{tree.map((n) => <NodeView key={n.path} node={n} depth={0} />)}</Box>;
}

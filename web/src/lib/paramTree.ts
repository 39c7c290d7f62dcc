/** Flat dotted params ("optimizer.name") as a tree for the collapsible params view. */
export interface ParamNode {
  name: string;
  path: string;
  value?: string;
  children: ParamNode[];
}

export function paramTree(params: Record<string, string>): ParamNode[] {
  const root: ParamNode = { name: "", path: "", children: [] };
  for (const key of Object.keys(params).sort()) {
    const parts = key.split(".");
    let node = root;
    parts.forEach((part, i) => {
      const path = parts.slice(0, i + 1).join(".");
      let child = node.children.find((c) => c.name === part && (i < parts.length - 1) === (c.value === undefined));
      if (!child) {
        child = { name: part, path, children: [] };
        node.children.push(child);
      }
      if (i === parts.length - 1) child.value = params[key];
      node = child;
    });
  }
  return root.children;
}

/** For the compare view: every key of any run, and whether the runs disagree on it. */
export interface DiffRow {
  key: string;
  values: (string | undefined)[];
  differs: boolean;
}

export function diffRows(records: Record<string, string>[]): DiffRow[] {
  const keys = new Set<string>();
  for (const r of records) for (const k of Object.keys(r)) keys.add(k);
  return Array.from(keys)
    .sort()
    .map((key) => {
      const values = records.map((r) => r[key]);
      return { key, values, differs: new Set(values).size > 1 };
    });
}

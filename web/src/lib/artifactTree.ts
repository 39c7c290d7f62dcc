/** A run's flat artifact manifest ("eval/plots/loss.png", …) as a tree of folders and files,
 *  and the rows of that tree that are visible with some folders collapsed. */

/** The fields of a manifest entry the tree needs (the API's ArtifactPublic has them). */
export interface ArtifactLike {
  path: string;
  size: number;
  digest: string;
  state: "pending" | "stored";
  step: number | null;
  created_ms: number;
}

export interface FolderNode<E extends ArtifactLike = ArtifactLike> {
  kind: "folder";
  name: string;
  path: string;
  children: TreeNode<E>[];
  /** total size, file count and pending count of everything below */
  size: number;
  files: number;
  pending: number;
}

export interface FileNode<E extends ArtifactLike = ArtifactLike> {
  kind: "file";
  name: string;
  path: string;
  entry: E;
}

export type TreeNode<E extends ArtifactLike = ArtifactLike> = FolderNode<E> | FileNode<E>;

function folder<E extends ArtifactLike>(name: string, path: string): FolderNode<E> {
  return { kind: "folder", name, path, children: [], size: 0, files: 0, pending: 0 };
}

function byName(a: TreeNode, b: TreeNode): number {
  if (a.kind !== b.kind) return a.kind === "folder" ? -1 : 1; // folders first, like a file browser
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Build the tree; folders first, then files, each by name.  A path can be both a file and
 *  a folder ("a" and "a/b" are both valid entries): they become two nodes. */
export function artifactTree<E extends ArtifactLike>(entries: readonly E[]): TreeNode<E>[] {
  const root = folder<E>("", "");
  const folders = new Map<string, FolderNode<E>>([["", root]]);
  for (const entry of entries) {
    const parts = entry.path.split("/");
    const chain: FolderNode<E>[] = [root];
    let parent = root;
    for (let i = 0; i < parts.length - 1; i++) {
      const path = parts.slice(0, i + 1).join("/");
      let next = folders.get(path);
      if (!next) {
        next = folder<E>(parts[i], path);
        folders.set(path, next);
        parent.children.push(next);
      }
      chain.push(next);
      parent = next;
    }
    parent.children.push({ kind: "file", name: parts[parts.length - 1], path: entry.path, entry });
    for (const f of chain) {
      f.size += entry.size;
      f.files += 1;
      if (entry.state === "pending") f.pending += 1;
    }
  }
  for (const f of folders.values()) f.children.sort(byName);
  return root.children;
}

export interface TreeRow<E extends ArtifactLike = ArtifactLike> {
  node: TreeNode<E>;
  depth: number;
}

/** The rows to draw, in order: every node whose ancestors are all in ``expanded``. */
export function visibleRows<E extends ArtifactLike>(tree: readonly TreeNode<E>[], expanded: ReadonlySet<string>): TreeRow<E>[] {
  const rows: TreeRow<E>[] = [];
  const walk = (nodes: readonly TreeNode<E>[], depth: number) => {
    for (const node of nodes) {
      rows.push({ node, depth });
      if (node.kind === "folder" && expanded.has(node.path)) walk(node.children, depth + 1);
    }
  };
  walk(tree, 0);
  return rows;
}

/** Folders open at first: all of them for a small manifest, else only the top level's. */
export function initiallyExpanded(tree: readonly TreeNode[], maxFiles = 200): Set<string> {
  const open = new Set<string>();
  const total = tree.reduce((n, node) => n + (node.kind === "folder" ? node.files : 1), 0);
  const walk = (nodes: readonly TreeNode[], depth: number) => {
    for (const node of nodes) {
      if (node.kind !== "folder") continue;
      if (total <= maxFiles || depth === 0) open.add(node.path);
      if (total <= maxFiles) walk(node.children, depth + 1);
    }
  };
  walk(tree, 0);
  return open;
}

/** Every folder that contains ``path`` ("a", "a/b" for "a/b/c.txt"): open them to reveal it. */
export function ancestors(path: string): string[] {
  const parts = path.split("/");
  return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join("/"));
}

/** The checkpoint the server's /checkpoints/latest would answer: among stored (downloadable)
 * entries, the highest step, then the newest. */
export function latestCheckpoint<E extends ArtifactLike>(entries: readonly E[]): E | null {
  let best: E | null = null;
  for (const e of entries) {
    if (e.step == null || e.state !== "stored") continue;
    if (!best || e.step > (best.step as number) || (e.step === best.step && e.created_ms > best.created_ms)) best = e;
  }
  return best;
}

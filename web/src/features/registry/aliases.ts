/** Each alias's current state from the model (alias -> version), its policies and the
 *  history of decisions (newest first). */
import type { AliasEventPublic, PolicyPublic } from "../../client/types.gen";

export interface AliasState {
  alias: string;
  version: number | null; // null: points nowhere (only a policy names it, or it was unset)
  sinceMs: number | null;
  movedBy: string | null;
  hasPolicy: boolean;
}

export function aliasStates(
  held: Record<string, number>,
  policies: ReadonlyArray<Pick<PolicyPublic, "alias">>,
  events: ReadonlyArray<AliasEventPublic>,
): AliasState[] {
  const names = new Set([...Object.keys(held), ...policies.map((p) => p.alias).filter((a): a is string => !!a)]);
  const withPolicy = new Set(policies.map((p) => p.alias));
  return [...names].sort().map((alias) => {
    const moved = events.find((e) => e.alias === alias && e.kind !== "refuse"); // newest first
    return {
      alias,
      version: held[alias] ?? null,
      sinceMs: held[alias] !== undefined && moved ? moved.time_ms : null,
      movedBy: held[alias] !== undefined && moved ? moved.actor : null,
      hasPolicy: withPolicy.has(alias),
    };
  });
}

/** "nothing → v2", "v2 → v1", "v1 (refused; stays at nothing)". */
export function eventMove(e: Pick<AliasEventPublic, "kind" | "from_version" | "to_version">): string {
  const v = (n: number | null) => (n == null ? "nothing" : `v${n}`);
  if (e.kind === "refuse") return `${v(e.to_version)} refused (stays at ${v(e.from_version)})`;
  if (e.kind === "unset") return `${v(e.from_version)} → nothing`;
  return `${v(e.from_version)} → ${v(e.to_version)}`;
}

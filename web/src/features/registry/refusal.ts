/** Gate results as the promotion answers (check, promote) and the 409 refusal carry them. */
import { ApiError } from "../../api";
import type { GatePublic } from "../../client/types.gen";

/** "acc >= 0.9: acc is 0.85, needs >= 0.9": the rule, then what the server found. */
export function gateLine(gate: Pick<GatePublic, "rule" | "message">): string {
  return gate.message ? `${gate.rule}: ${gate.message}` : gate.rule;
}

function isGate(value: unknown): value is GatePublic {
  const g = value as GatePublic | null;
  return typeof g === "object" && g !== null && typeof g.rule === "string" && typeof g.passed === "boolean";
}

/** The failed gates of a 409 gate_failed (details.failed), or null for any other error. */
export function refusedGates(error: unknown): GatePublic[] | null {
  if (!(error instanceof ApiError) || error.code !== "gate_failed") return null;
  const failed = error.details["failed"];
  if (Array.isArray(failed) && failed.every(isGate)) return failed;
  const gates = error.details["gates"];
  return Array.isArray(gates) ? gates.filter(isGate).filter((g) => !g.passed) : [];
}

/** The refusal event's failed gates (history entries keep every gate's result). */
export function failedGates(gates: ReadonlyArray<GatePublic>): GatePublic[] {
  return gates.filter((g) => !g.passed);
}

/** Alias names the server accepts (core.registry.check_alias): not ``latest`` nor ``v<n>``. */
export const MAX_ALIAS = 64;
const ALIAS = /^(?![Ll][Aa][Tt][Ee][Ss][Tt]$)(?![vV][0-9]+$)[A-Za-z_][A-Za-z0-9_-]*$/;

/** Why the alias cannot be used, or null when it can. */
export function aliasProblem(alias: string): string | null {
  if (!alias) return "Name an alias.";
  if (alias.length > MAX_ALIAS) return `An alias has at most ${MAX_ALIAS} characters.`;
  if (/^latest$/i.test(alias) || /^v\d+$/i.test(alias)) return `"${alias}" names a version, not an alias.`;
  if (!ALIAS.test(alias)) return "An alias starts with a letter or _ and holds letters, digits, _ and -.";
  return null;
}

/** A stored policy (JSON, as the server parsed it) written back as YAML, the way people
 *  write policies (docs/registry.md): block mappings and lists, texts quoted only when
 *  YAML would read them as something else. */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const PLAIN = /^[A-Za-z0-9_.\/][A-Za-z0-9_.\/ -]*$/;
const LOOKS_TYPED = /^(?:true|false|yes|no|on|off|null|~|[-+]?(?:\d[\d_]*)?(?:\.\d+)?(?:[eE][-+]?\d+)?)$/i;

/** A text as a YAML scalar: bare when that reads back as the same text, else double-quoted. */
export function scalar(value: Json): string {
  if (value === null) return "null";
  if (typeof value === "boolean" || typeof value === "number") return String(value);
  if (typeof value === "string") {
    const bare = value !== "" && PLAIN.test(value) && !value.endsWith(" ") && !LOOKS_TYPED.test(value);
    return bare ? value : JSON.stringify(value);
  }
  return Array.isArray(value) ? "[]" : "{}"; // only reached for empty ones
}

function isEmpty(value: Json): boolean {
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === "object" && value !== null && Object.keys(value).length === 0;
}

function lines(value: Json, indent: string): string[] {
  if (Array.isArray(value)) {
    return value.flatMap((item) => {
      if (typeof item === "object" && item !== null && !isEmpty(item)) {
        const [first, ...rest] = lines(item, indent + "  ");
        return [`${indent}- ${first.trimStart()}`, ...rest];
      }
      return [`${indent}- ${scalar(item)}`];
    });
  }
  if (typeof value === "object" && value !== null) {
    return Object.entries(value).flatMap(([key, item]) => {
      const name = `${indent}${scalar(key)}:`;
      if (typeof item === "object" && item !== null && !isEmpty(item)) {
        return [name, ...lines(item, indent + "  ")];
      }
      return [`${name} ${scalar(item)}`];
    });
  }
  return [indent + scalar(value)];
}

/** The policy as YAML text (no trailing newline); "{}" for an empty one. */
export function policyYaml(policy: Record<string, unknown>): string {
  if (Object.keys(policy).length === 0) return "{}";
  return lines(policy as Json, "").join("\n");
}

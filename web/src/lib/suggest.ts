/** Suggestions for the filter box: complete the field name being typed at the cursor. */
export interface ProjectKeys {
  params: string[];
  metrics: string[];
  tags: string[];
}

const ATTRIBUTES = ["name", "status", "user", "group", "start_time", "end_time", "duration", "id"];

export function allFields(keys: ProjectKeys): string[] {
  const quote = (k: string) => (/^[A-Za-z0-9_\-/:.@]+$/.test(k) ? k : `\`${k}\``);
  return [
    ...keys.metrics.map((k) => `metrics.${quote(k)}`),
    ...keys.params.map((k) => `params.${quote(k)}`),
    ...keys.tags.map((k) => `tags.${quote(k)}`),
    ...ATTRIBUTES.map((a) => `attributes.${a}`),
  ];
}

/** The word under the cursor (start index and text), or null inside a string literal. */
export function wordAt(text: string, cursor: number): { start: number; word: string } | null {
  let quotes = 0;
  for (let i = 0; i < cursor; i++) if (text[i] === "'" || text[i] === '"') quotes++;
  if (quotes % 2 === 1) return null;
  let start = cursor;
  while (start > 0 && /[A-Za-z0-9_.\-/`:@]/.test(text[start - 1])) start--;
  const word = text.slice(start, cursor);
  return word ? { start, word } : null;
}

export function suggestions(text: string, cursor: number, keys: ProjectKeys, max = 8): string[] {
  const at = wordAt(text, cursor);
  if (!at) return [];
  const norm = (s: string) => s.toLowerCase().replace(/`/g, "");
  const lower = norm(at.word);
  const fields = allFields(keys).filter((f) => f !== at.word);
  const starts = fields.filter((f) => norm(f).startsWith(lower));
  const contains = fields.filter((f) => !starts.includes(f) && norm(f).includes(lower));
  return [...starts, ...contains].slice(0, max);
}

export function applySuggestion(text: string, cursor: number, field: string): { text: string; cursor: number } {
  const at = wordAt(text, cursor) ?? { start: cursor, word: "" };
  const next = text.slice(0, at.start) + field + text.slice(cursor);
  return { text: next, cursor: at.start + field.length };
}

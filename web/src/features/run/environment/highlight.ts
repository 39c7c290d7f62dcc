/** Syntax highlighting of the code lines of a diff: highlight.js core with only the
 *  languages ``languageOf`` names registered.  Imported lazily (HighlightedDiff.tsx), so
 *  it is a chunk of its own that loads with the first diff shown. */
import hljs from "highlight.js/lib/core";
import bash from "highlight.js/lib/languages/bash";
import dockerfile from "highlight.js/lib/languages/dockerfile";
import ini from "highlight.js/lib/languages/ini";
import json from "highlight.js/lib/languages/json";
import makefile from "highlight.js/lib/languages/makefile";
import markdown from "highlight.js/lib/languages/markdown";
import python from "highlight.js/lib/languages/python";
import yaml from "highlight.js/lib/languages/yaml";

const LANGUAGES = { bash, dockerfile, ini, json, makefile, markdown, python, yaml };
for (const [name, language] of Object.entries(LANGUAGES)) hljs.registerLanguage(name, language);

/** One line of code as HTML: highlight.js escapes the text and wraps tokens in
 *  ``<span class="hljs-…">``.  Lines are highlighted one by one, so a string or comment
 *  spanning lines is only coloured on the lines that show its delimiters. */
export function highlightCode(code: string, language: string): string {
  return hljs.highlight(code, { language, ignoreIllegals: true }).value;
}

export function isSupported(language: string): boolean {
  return hljs.getLanguage(language) !== undefined;
}

import type { Diagnostic } from "./diagnostic.js";

/**
 * The GNU Coding Standards' error format, understood by Emacs and many
 * editors: `file:line.col-line.col: severity: message [CODE]`, columns
 * 1-based and the end column inclusive (the last character of the range).
 * Related places follow as `file:line.col: note: message`.
 */
export function renderGnu(diagnostics: readonly Diagnostic[]): string {
  const out: string[] = [];
  for (const d of diagnostics) {
    const { start, end } = d.range;
    const empty = end.offset <= start.offset;
    const last = empty ? start : { line: end.line, column: Math.max(1, end.column - 1) };
    out.push(`${d.file}:${start.line}.${start.column}-${last.line}.${last.column}: ${d.severity}: ${oneLine(d.message)} [${d.code}]`);
    for (const r of d.related ?? []) out.push(`${d.file}:${r.range.start.line}.${r.range.start.column}: note: ${oneLine(r.message)}`);
  }
  return out.join("\n");
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ");
}

import type { Diagnostic } from "./diagnostic.js";

export interface HumanOptions {
  color: boolean;
}

const paint = (on: boolean, code: string) => (text: string) => (on ? `\x1b[${code}m${text}\x1b[0m` : text);

/**
 * `file:line:col: severity CODE: message`, then the source line and a caret
 * under the range (to the end of the line for ranges spanning lines).
 */
export function renderHuman(diagnostics: readonly Diagnostic[], sources: ReadonlyMap<string, string>, options: HumanOptions): string {
  const red = paint(options.color, "31;1");
  const yellow = paint(options.color, "33;1");
  const bold = paint(options.color, "1");
  const dim = paint(options.color, "2");
  const lineCache = new Map<string, string[]>();
  const linesOf = (file: string) => {
    let lines = lineCache.get(file);
    if (!lines) lineCache.set(file, (lines = (sources.get(file) ?? "").split(/\r\n|\r|\n/)));
    return lines;
  };
  const out: string[] = [];
  for (const d of diagnostics) {
    const { line, column } = d.range.start;
    const severity = d.severity === "error" ? red("error") : yellow("warning");
    out.push(`${bold(`${d.file}:${line}:${column}`)}: ${severity} ${dim(d.code)}: ${d.message}`);
    const text = linesOf(d.file)[line - 1];
    if (text !== undefined) out.push(...excerpt(text, d, options.color ? red : (s: string) => s));
    for (const related of d.related ?? []) out.push(`  ${dim(`${d.file}:${related.range.start.line}:${related.range.start.column}`)}: ${related.message}`);
  }
  return out.join("\n");
}

/** Long lines are windowed around the range so a 1 MB line prints a readable excerpt. */
function excerpt(text: string, d: Diagnostic, mark: (s: string) => string): string[] {
  const WINDOW = 100;
  const start = d.range.start.column - 1;
  const endOnLine = d.range.end.line === d.range.start.line ? d.range.end.column - 1 : text.length;
  let from = 0;
  let to = text.length;
  if (text.length > WINDOW * 2) {
    from = Math.max(0, start - WINDOW / 2);
    to = Math.min(text.length, from + WINDOW);
  }
  const shown = (from > 0 ? "..." : "") + text.slice(from, to) + (to < text.length ? "..." : "");
  const lead = (from > 0 ? "..." : "") + text.slice(from, start);
  const pad = lead.replace(/[^\t]/g, " ");
  const width = Math.max(1, Math.min(endOnLine, to) - start);
  const gutter = String(d.range.start.line);
  return [`  ${gutter} | ${printable(shown)}`, `  ${" ".repeat(gutter.length)} | ${pad}${mark("^".repeat(width))}`];
}

function printable(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, "\uFFFD");
}

export function summary(diagnostics: readonly Diagnostic[], files: number): string {
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  const warnings = diagnostics.length - errors;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  return `${plural(errors, "error")}, ${plural(warnings, "warning")} in ${plural(files, "file")}`;
}

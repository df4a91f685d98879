import type { Diagnostic } from "./diagnostic.js";

export interface StylishOptions {
  color: boolean;
}

const paint = (on: boolean, code: string) => (text: string) => (on ? `\x1b[${code}m${text}\x1b[0m` : text);

/**
 * ESLint's "stylish": the file name, then one aligned row per problem
 * (`line:col  severity  message  code`), a blank line between files and a
 * count at the end. Nothing at all when there is no problem.
 */
export function renderStylish(diagnostics: readonly Diagnostic[], options: StylishOptions): string {
  if (diagnostics.length === 0) return "";
  const red = paint(options.color, "31");
  const yellow = paint(options.color, "33");
  const dim = paint(options.color, "2");
  const underline = paint(options.color, "4");
  const byFile = new Map<string, Diagnostic[]>();
  for (const d of diagnostics) byFile.set(d.file, [...(byFile.get(d.file) ?? []), d]);
  const out: string[] = [];
  for (const [file, list] of byFile) {
    out.push(underline(file));
    const rows = list.map((d) => [`${d.range.start.line}:${d.range.start.column}`, d.severity, d.message.replace(/\s*\n\s*/g, " "), d.code] as const);
    const w0 = Math.max(...rows.map((r) => r[0].length));
    const w1 = Math.max(...rows.map((r) => r[1].length));
    const w2 = Math.max(...rows.map((r) => r[2].length));
    for (const [at, severity, message, code] of rows) {
      const sev = (severity === "error" ? red : yellow)(severity.padEnd(w1));
      out.push(`  ${dim(at.padEnd(w0))}  ${sev}  ${message.padEnd(w2)}  ${dim(code)}`);
    }
    out.push("");
  }
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  const warnings = diagnostics.length - errors;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const mark = (errors > 0 ? red : yellow)(`\u2716 ${plural(diagnostics.length, "problem")} (${plural(errors, "error")}, ${plural(warnings, "warning")})`);
  out.push(mark);
  return out.join("\n");
}

import { CATALOG } from "./catalog.js";
import type { Range } from "../syntax/ast.js";
import type { Diagnostic } from "./diagnostic.js";

/**
 * A stable, tool-friendly form: one object per diagnostic, positions 1-based,
 * end exclusive. `fixes` (when there are any) are replacements: put `newText`
 * in place of `range`.
 */
export function renderJson(diagnostics: readonly Diagnostic[]): string {
  return JSON.stringify(
    diagnostics.map((d) => ({
      file: d.file,
      code: d.code,
      rule: CATALOG[d.code].id,
      severity: d.severity,
      message: d.message,
      range: position(d.range),
      ...(d.related && { related: d.related.map((r) => ({ message: r.message, line: r.range.start.line, column: r.range.start.column })) }),
      ...(d.fixes && d.fixes.length > 0 && { fixes: d.fixes.map((f) => ({ title: f.title, range: position(f.range), newText: f.newText })) }),
    })),
    null,
    2,
  );
}

function position(range: Range) {
  return {
    start: { line: range.start.line, column: range.start.column },
    end: { line: range.end.line, column: range.end.column },
  };
}

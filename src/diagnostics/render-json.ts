import { CATALOG } from "./catalog.js";
import type { Diagnostic } from "./diagnostic.js";

/** A stable, tool-friendly form: one object per diagnostic, positions 1-based, end exclusive. */
export function renderJson(diagnostics: readonly Diagnostic[]): string {
  return JSON.stringify(
    diagnostics.map((d) => ({
      file: d.file,
      code: d.code,
      rule: CATALOG[d.code].id,
      severity: d.severity,
      message: d.message,
      range: {
        start: { line: d.range.start.line, column: d.range.start.column },
        end: { line: d.range.end.line, column: d.range.end.column },
      },
      ...(d.related && { related: d.related.map((r) => ({ message: r.message, line: r.range.start.line, column: r.range.start.column })) }),
    })),
    null,
    2,
  );
}

import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { parseWithTree } from "../syntax/parse.js";
import { layout, LayoutError, PRINT_WIDTH } from "./layout.js";
import { significantTokens } from "./verify.js";

export { PRINT_WIDTH };

/**
 * Formats a spec into its one canonical layout (see layout.ts), printed from
 * the parser's syntax tree. A spec with syntax errors is not formatted:
 * `text` is absent and the errors are returned. The result keeps every token
 * and comment, in order; the only liberties taken are whitespace and the
 * trailing comma of lists and calls.
 */
export function formatSource(text: string, file: string): { text?: string; diagnostics: Diagnostic[] } {
  const parsed = parseWithTree(text, file);
  const errors = parsed.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) return { diagnostics: errors };
  try {
    return { text: checkedLayout(text, parsed.tree), diagnostics: [] };
  } catch (error) {
    // A formatter bug must never cost the user their text: leave it as it is.
    if (error instanceof LayoutError) return { text, diagnostics: [] };
    throw error;
  }
}

/**
 * The layout of a spec known to parse, checked against the source: if it
 * does not parse cleanly, or the tokens or comments differ (a formatter
 * bug), it throws a LayoutError.
 */
export function formatParsed(text: string): string {
  const parsed = parseWithTree(text, "<input>");
  if (parsed.diagnostics.some((d) => d.severity === "error")) throw new LayoutError("the spec does not parse cleanly");
  return checkedLayout(text, parsed.tree);
}

function checkedLayout(text: string, tree: Parameters<typeof layout>[0]): string {
  const formatted = layout(tree);
  const before = significantTokens(text);
  const after = significantTokens(formatted);
  if (before.length !== after.length || before.some((t, k) => t !== after[k])) {
    throw new LayoutError("formatting would change the tokens of the spec");
  }
  return formatted;
}

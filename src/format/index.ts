import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { parseText } from "../syntax/parse.js";
import { layout, LayoutError, PRINT_WIDTH } from "./layout.js";
import { lexWithComments, significantTokens } from "./tokens.js";

export { PRINT_WIDTH };

/**
 * Formats a spec into its one canonical layout (see layout.ts). A spec with
 * syntax errors is not formatted: `text` is absent and the errors are
 * returned. The result keeps every token and comment, in order; the only
 * liberties taken are whitespace and the trailing comma of lists and calls.
 */
export function formatSource(text: string, file: string): { text?: string; diagnostics: Diagnostic[] } {
  const errors = parseText(text, file).diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) return { diagnostics: errors };
  try {
    return { text: formatParsed(text), diagnostics: [] };
  } catch (error) {
    // A formatter bug must never cost the user their text: leave it as it is.
    if (error instanceof LayoutError) return { text, diagnostics: [] };
    throw error;
  }
}

/**
 * The layout of a spec known to parse, checked against the source: if the
 * tokens or comments differ (a formatter bug), it throws a LayoutError.
 */
export function formatParsed(text: string): string {
  const lexed = lexWithComments(text);
  if (lexed.hadErrors) throw new LayoutError("the spec does not lex cleanly");
  const formatted = layout(text, lexed);
  const before = significantTokens(text);
  const after = significantTokens(formatted);
  if (before.length !== after.length || before.some((t, k) => t !== after[k])) {
    throw new LayoutError("formatting would change the tokens of the spec");
  }
  return formatted;
}

import type { Diagnostic } from "../../src/diagnostics/diagnostic.js";

/**
 * Specs in tests mark the text a diagnostic must point at with « and »;
 * this strips the markers and returns the expected offsets.
 */
export function unmark(marked: string): { text: string; start: number; end: number } | { text: string; start?: undefined; end?: undefined } {
  const start = marked.indexOf("«");
  if (start === -1) return { text: marked };
  const end = marked.indexOf("»", start) - 1;
  return { text: marked.replace("«", "").replace("»", ""), start, end };
}

/** The source text a diagnostic's range covers. */
export function rangeText(text: string, d: Diagnostic): string {
  return text.slice(d.range.start.offset, d.range.end.offset);
}

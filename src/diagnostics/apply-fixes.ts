import type { Diagnostic } from "./diagnostic.js";

/**
 * Applies the unambiguous fixes of `diagnostics` to `text`, the source they
 * were found in: those of diagnostics with exactly one fix (a hint with two
 * candidates is a question for the author, not an edit). Where two fixes
 * overlap, the first in source order wins and the other waits for the next
 * check. Returns the new text and how many fixes it applied.
 */
export function applyFixes(text: string, diagnostics: readonly Diagnostic[]): { text: string; applied: number } {
  const edits = diagnostics
    .filter((d) => d.fixes?.length === 1)
    .map((d) => d.fixes![0]!)
    .sort((a, b) => a.range.start.offset - b.range.start.offset || a.range.end.offset - b.range.end.offset);
  const chosen = [];
  let end = -1;
  for (const edit of edits) {
    if (edit.range.start.offset < end) continue;
    // The same fix reported twice (two diagnostics on one name) is one edit.
    const last = chosen[chosen.length - 1];
    if (last && last.range.start.offset === edit.range.start.offset && last.range.end.offset === edit.range.end.offset) continue;
    chosen.push(edit);
    end = edit.range.end.offset;
  }
  let result = text;
  for (const edit of chosen.reverse()) {
    result = result.slice(0, edit.range.start.offset) + edit.newText + result.slice(edit.range.end.offset);
  }
  return { text: result, applied: chosen.length };
}

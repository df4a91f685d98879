/**
 * Escaping for the two kinds of DOT strings the graph back end writes.
 *
 * Names in the IR are identifiers, but descriptions, docs, label columns and
 * positive values are free text, so every string goes through one of these.
 */

/** Control characters (newlines included) that must not reach a label. */
const CONTROL = /[\u0000-\u001f\u007f]/g;

/**
 * A double-quoted DOT ID or attribute value that Graphviz leaves alone:
 * `"` is escaped, and a backslash is doubled so that a trailing one cannot
 * swallow the closing quote. Newlines become spaces (IDs never hold any).
 */
export function quoted(text: string): string {
  return `"${text.replace(CONTROL, " ").replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/**
 * Text inside an HTML-like label (`<...>`): markup characters become entities.
 * Graphviz still expands escapes such as `\N` (the node's ID) in the text,
 * after decoding entities, so a backslash is doubled instead. Control
 * characters (newlines) become spaces: a label line is one line.
 */
export function html(text: string): string {
  return text
    .replace(CONTROL, " ")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;")
    .replace(/\\/g, "\\\\");
}

/**
 * A tooltip (written to SVG as `xlink:title`): quoted, with `"`, `<`, `>` and
 * `&` as XML character references and newlines as `&#10;`, so a multi-line
 * doc comment stays multi-line when hovered. Graphviz unescapes a tooltip
 * twice (and expands `\N` and friends), so one backslash is written as four.
 */
export function tooltip(text: string): string {
  const body = text
    .replace(/\r\n?/g, "\n")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/\\/g, "\\\\\\\\")
    .replace(/\n/g, "&#10;")
    .replace(CONTROL, " ");
  return `"${body}"`;
}

/** 10000 → "10,000": locale-independent, so the output never depends on the machine. */
export function grouped(n: number): string {
  if (!Number.isInteger(n)) return String(n);
  const sign = n < 0 ? "-" : "";
  return sign + String(Math.abs(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

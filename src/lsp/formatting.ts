import type { TextEdit } from "vscode-languageserver/node.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { inStyle, textStyle } from "../spec-file.js";
import type { LineIndex } from "../syntax/range.js";

type FormatSource = (text: string, file: string) => { text?: string; diagnostics: Diagnostic[] };

let formatter: Promise<FormatSource | undefined> | undefined;

/**
 * The formatter (src/format) is loaded on first use, so the server starts
 * fast; a formatter that fails to load disables formatting, nothing else.
 */
function loadFormatter(): Promise<FormatSource | undefined> {
  formatter ??= import("../format/index.js").then(
    (m) => m.formatSource,
    () => undefined,
  );
  return formatter;
}

/**
 * One edit replacing the whole document, or none when it is already
 * formatted or does not parse. The formatter writes LF; the document keeps
 * its CRLF line ends and BOM, as `mtl fmt` keeps a file's.
 */
export async function formatDocument(text: string, file: string, lines: LineIndex): Promise<TextEdit[] | null> {
  const format = await loadFormatter();
  if (!format) return null;
  const result = format(text, file);
  if (result.text === undefined || result.diagnostics.some((d) => d.severity === "error")) return null;
  const formatted = inStyle(result.text, textStyle(text));
  if (formatted === text) return [];
  const end = lines.end();
  return [{ range: { start: { line: 0, character: 0 }, end: { line: end.line - 1, character: end.column - 1 } }, newText: formatted }];
}

export async function formatterAvailable(): Promise<boolean> {
  return (await loadFormatter()) !== undefined;
}

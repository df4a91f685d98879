import { formatNumber } from "./number-format.js";

export type OutputValue = string | number | null;

/**
 * A field quoted per RFC 4180 when it must be: when it holds the delimiter, a
 * quote or a line break. Beyond the RFC, a field with blanks at either end is
 * quoted too, so a reader that trims (as the census data needs) keeps them,
 * and an empty string is written as "" so it stays distinct from null, which
 * is written as nothing.
 */
export function csvField(value: OutputValue | undefined, delimiter = ","): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return formatNumber(value);
  if (value === "") return '""';
  const first = value.charCodeAt(0);
  const last = value.charCodeAt(value.length - 1);
  const needsQuotes =
    value.includes(delimiter) ||
    value.includes('"') ||
    value.includes("\n") ||
    value.includes("\r") ||
    first === 0x20 ||
    first === 0x09 ||
    last === 0x20 ||
    last === 0x09;
  return needsQuotes ? `"${value.replace(/"/g, '""')}"` : value;
}

/** One CSV line, "\n"-terminated (the readers take both LF and CRLF). */
export function csvLine(columns: readonly string[], values: Record<string, OutputValue>, delimiter = ","): string {
  let line = "";
  for (let i = 0; i < columns.length; i++) {
    if (i > 0) line += delimiter;
    line += csvField(values[columns[i]!], delimiter);
  }
  return line + "\n";
}

export function csvHeader(columns: readonly string[], delimiter = ","): string {
  return columns.map((c) => csvField(c, delimiter)).join(delimiter) + "\n";
}

/**
 * One JSON object per line, keys in column order. Numbers use the same
 * float32-exact formatting as CSV; NaN and ±Infinity, which JSON cannot
 * hold, become null.
 */
export function jsonlLine(columns: readonly string[], keys: readonly string[], values: Record<string, OutputValue>): string {
  let line = "{";
  for (let i = 0; i < columns.length; i++) {
    if (i > 0) line += ",";
    line += keys[i]!;
    const v = values[columns[i]!];
    if (v === null || v === undefined) line += "null";
    else if (typeof v === "number") line += Number.isFinite(v) ? formatNumber(v) : "null";
    else line += JSON.stringify(v);
  }
  return line + "}\n";
}

/** The `"name":` prefixes of a JSONL line, built once per writer. */
export function jsonlKeys(columns: readonly string[]): string[] {
  return columns.map((c) => `${JSON.stringify(c)}:`);
}

import { parseDecimalBytes } from "../encode/decimal.js";
import { FLOAT32_MAX } from "../../portable/encoding.js";
import type { RawValue } from "../record.js";
import type { CsvRecord } from "./csv-scanner.js";

/** The spec's missing markers, compared after trimming so " ?" and "? " both match "?". */
export function missingMarkers(missing: readonly string[]): Set<string> {
  return new Set(missing.map((m) => m.trim()));
}

/**
 * A test for the spec's missing markers that, for the common value (no
 * padding, longer than every marker), costs two comparisons instead of a
 * trim and a hash lookup. `trimmed`: the reader has stripped blanks already.
 */
export function missingTest(missing: readonly string[], trimmed: boolean): (value: string) => boolean {
  const markers = missingMarkers(missing);
  const longest = Math.max(0, ...[...markers].map((m) => m.length));
  return (value) => {
    const n = value.length;
    if (trimmed || n === 0 || (value.charCodeAt(0) > 32 && value.charCodeAt(n - 1) > 32 && value.charCodeAt(0) < 127 && value.charCodeAt(n - 1) < 127)) {
      return n <= longest && markers.has(value);
    }
    return markers.has(value.trim());
  };
}

/** The length of the longest missing marker, in characters (as fieldsBuilder compares byte counts to it) and in UTF-8 bytes. */
export function longestMarker(missing: readonly string[]): { chars: number; bytes: number } {
  const markers = [...missingMarkers(missing)];
  return { chars: Math.max(0, ...markers.map((m) => m.length)), bytes: Math.max(0, ...markers.map((m) => Buffer.byteLength(m, "utf8"))) };
}

/**
 * The number a number column's field is handed out as, or NaN when it is
 * handed out as its text (see fieldsBuilder): a plain decimal a float32 can
 * hold, longer than every missing marker, read from bytes [start, end) of
 * `buf` (or `scanned`, when the scanner read it already); `text` is the
 * field's value when its bytes are not it.
 */
export function numberValue(buf: Uint8Array, start: number, end: number, text: string | null, scanned: number, longest: number): number {
  if (scanned === scanned) return end - start > longest && Math.abs(scanned) <= FLOAT32_MAX ? scanned : NaN;
  if (text === null && end - start > longest) {
    const x = parseDecimalBytes(buf, start, end);
    if (Math.abs(x) <= FLOAT32_MAX) return x;
  }
  return NaN;
}

/**
 * Turns a CSV record into its fields object. The property stores are
 * compiled once per header (as d3-dsv does), so every record of a file gets
 * one hidden class and the stores are monomorphic; a column called
 * "__proto__" is written as a computed key, which defines an own property
 * instead of replacing the prototype. Missing values become null.
 *
 * A column in `numbers` (one its consumer only ever reads as a number, see
 * numberColumns in src/data/encode/plan.ts) is parsed straight from the
 * file's bytes when it holds a plain decimal a float32 can hold and cannot be
 * a missing marker: it is handed out as that number, which is the number the
 * consumer would have parsed from the text. Anything else in it (a missing
 * marker, blanks, text that is not a number, a value out of range) is handed
 * out as its text, so the consumer's checks and messages are unchanged.
 * With `kept`, only those columns are in the records (a column nobody reads
 * then costs its scan and nothing else).
 */
export function fieldsBuilder(
  names: readonly string[],
  isMissing: (value: string) => boolean,
  { numbers, kept, missing }: { numbers: ReadonlySet<string>; kept: ReadonlySet<string> | null; missing: readonly string[] },
): (record: CsvRecord) => Record<string, RawValue> {
  const longest = longestMarker(missing).chars;
  const text = (r: CsvRecord, i: number): RawValue => {
    const v = r.text(i);
    return isMissing(v) ? null : v;
  };
  const number = (r: CsvRecord, i: number): RawValue => {
    const x = numberValue(r.buf, r.starts[i]!, r.ends[i]!, r.texts[i] ?? null, r.numbers[i]!, longest);
    return x === x ? x : text(r, i);
  };
  const entries = names.flatMap((name, i) => (kept && !kept.has(name) ? [] : [`${propertyKey(name)}: ${numbers.has(name) ? "n" : "t"}(r, ${i})`]));
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the source is built from JSON-quoted names only
  const build = new Function("t", "n", "r", `return { ${entries.join(", ")} };`) as (t: typeof text, n: typeof number, r: CsvRecord) => Record<string, RawValue>;
  return (record) => build(text, number, record);
}

/** A column name as a key in compiled object-literal source: computed for "__proto__", which defines an own property instead of replacing the prototype. */
function propertyKey(name: string): string {
  return name === "__proto__" ? `[${JSON.stringify(name)}]` : JSON.stringify(name);
}

/**
 * A maker of fields objects with `names` as keys, from their values in
 * order: compiled once, as fieldsBuilder is, so every object has one hidden
 * class and its stores are monomorphic.
 */
export function fieldsMaker(names: readonly string[]): (values: readonly RawValue[]) => Record<string, RawValue> {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the source is built from JSON-quoted names only
  return new Function("v", `return { ${names.map((name, i) => `${propertyKey(name)}: v[${i}]`).join(", ")} };`) as (values: readonly RawValue[]) => Record<string, RawValue>;
}

/**
 * Assigns a field without letting a column called "__proto__" replace the
 * record's prototype (a plain assignment would), so odd headers stay data.
 */
export function setField(fields: Record<string, RawValue>, name: string, value: RawValue): void {
  if (name === "__proto__") {
    Object.defineProperty(fields, name, { value, enumerable: true, writable: true, configurable: true });
  } else {
    fields[name] = value;
  }
}

/** How a value is quoted in messages: JSON text, cut short when long. */
export function showValue(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** A delimiter as a user would write it in the spec. */
export function showDelimiter(delimiter: string): string {
  if (delimiter === "\t") return "a tab (\\t)";
  if (delimiter === " ") return "a space";
  return `'${delimiter}'`;
}

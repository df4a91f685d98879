import { isAscii } from "node:buffer";
import { murmur3BytesInt32 } from "../../portable/hash.js";
import type { ColumnSource } from "../encode/columns.js";
import type { RawRecord, RawValue } from "../record.js";
import type { CsvRecord } from "./csv-scanner.js";
import { longestMarker, missingMarkers, numberValue, setField } from "./fields.js";

/** Rows of one scan of a CSV file, [from, to) of `columns`: valid until the reader is asked for the next item. */
export interface CsvBlock {
  columns: CsvColumns;
  from: number;
  to: number;
}

/** A CsvColumns' rows as plain data, which a worker thread can send (csv-split.ts). */
export interface ColumnParts {
  rows: number;
  buf: Uint8Array;
  starts: Int32Array;
  ends: Int32Array;
  numbers: Float64Array;
  lines: Int32Array;
  texts: [number, string][];
}

/**
 * The fields a consumer reads from the records of one scan (one chunk of
 * the file), held column by column as byte ranges of the scanned buffer:
 * no object and no string per row. Each field's value is the one the record
 * reader (fieldsBuilder) would hand out for it, computed only when asked.
 */
export class CsvColumns implements ColumnSource {
  /** Columns kept, by name: their index here. */
  private readonly index: Map<string, number>;
  /** Field position in the file of each kept column. */
  private readonly positions: Int32Array;
  private readonly width: number;
  private readonly longest: number;
  private readonly longestBytes: number;
  /** The missing markers' UTF-8 bytes. */
  private readonly markers: Buffer[];
  rows = 0;
  buf: Buffer = Buffer.alloc(0);
  /** The buffer as a string, once a field of it was asked for, when it is ASCII ("" when it is not). */
  private whole: string | null = null;
  /** Row-major [row * width + column]. */
  private starts: Int32Array = new Int32Array(0);
  private ends: Int32Array = new Int32Array(0);
  private numbers: Float64Array = new Float64Array(0);
  /** The value of a field whose bytes are not it (CsvRecord.texts), by its index: rare, so a map, not an array as long as the block. */
  private texts = new Map<number, string>();
  /** Each row's first line in the file. */
  lines: Int32Array = new Int32Array(0);

  constructor(
    /** Every column of the file, in order. */
    readonly names: readonly string[],
    kept: ReadonlySet<string> | null,
    private readonly isMissing: (value: string) => boolean,
    missing: readonly string[],
  ) {
    const columns = names.flatMap((name, i) => (kept === null || kept.has(name) ? [[name, i] as const] : []));
    this.index = new Map(columns.map(([name], k) => [name, k]));
    this.positions = Int32Array.from(columns, ([, i]) => i);
    this.width = columns.length;
    ({ chars: this.longest, bytes: this.longestBytes } = longestMarker(missing));
    this.markers = [...missingMarkers(missing)].map((m) => Buffer.from(m, "utf8"));
    this.grow(256);
  }

  /** Adds a record of the scan: all records between two resets come from one buffer. */
  add(record: CsvRecord, line: number): void {
    if (this.rows === 0) this.buf = record.buf;
    else if (record.buf !== this.buf) throw new Error("CsvColumns: records of two scans in one block");
    if (this.rows === this.lines.length) this.grow(2 * this.rows);
    const row = this.rows++;
    this.lines[row] = line;
    const { width, positions, starts, ends, numbers, texts } = this;
    const rs = record.starts;
    const re = record.ends;
    const rn = record.numbers;
    const rt = record.texts;
    for (let k = 0, at = row * width; k < width; k++, at++) {
      const i = positions[k]!;
      starts[at] = rs[i]!;
      ends[at] = re[i]!;
      numbers[at] = rn[i]!;
      const text = rt[i];
      if (text != null) texts.set(at, text);
    }
  }

  /** The rows added so far, as data (views of this object's arrays). */
  parts(): ColumnParts {
    const size = this.rows * this.width;
    return {
      rows: this.rows,
      buf: this.buf,
      starts: this.starts.subarray(0, size),
      ends: this.ends.subarray(0, size),
      numbers: this.numbers.subarray(0, size),
      lines: this.lines.subarray(0, this.rows),
      texts: [...this.texts],
    };
  }

  /** Takes the rows of `parts` (another CsvColumns' of the same columns) as its own, lines moved down by `lineOffset`. */
  adopt(parts: ColumnParts, lineOffset: number): void {
    this.rows = parts.rows;
    this.buf = Buffer.from(parts.buf.buffer, parts.buf.byteOffset, parts.buf.byteLength);
    this.whole = null;
    this.starts = parts.starts;
    this.ends = parts.ends;
    this.numbers = parts.numbers;
    this.lines = parts.lines;
    for (let r = 0; r < parts.rows; r++) this.lines[r] = this.lines[r]! + lineOffset;
    this.texts = new Map(parts.texts);
  }

  /** Ready for the next scan's rows (every slot of a row is written when it is added). */
  reset(): void {
    this.rows = 0;
    this.whole = null;
    if (this.texts.size > 0) this.texts.clear();
  }

  /** Room for `rows` rows in all (growing by doubling from a few hundred cost a scan of a large part of a file a third of its time). */
  reserve(rows: number): void {
    if (rows > this.lines.length) this.grow(rows);
  }

  private grow(rows: number): void {
    const size = rows * this.width;
    this.starts = grown(this.starts, new Int32Array(size));
    this.ends = grown(this.ends, new Int32Array(size));
    this.numbers = grown(this.numbers, new Float64Array(size));
    this.lines = grown(this.lines, new Int32Array(rows));
  }

  column(name: string): number {
    const k = this.index.get(name);
    if (k === undefined) throw new Error(`CsvColumns: column '${name}' was not kept`);
    return k;
  }

  /**
   * The field's string. As in CsvScanner.decode: an ASCII buffer is decoded
   * once and fields are slices of it (Buffer.toString per field cost more
   * than the rest of a categorical field's encoding).
   */
  private text(at: number): string {
    const text = this.texts.size > 0 ? this.texts.get(at) : undefined;
    if (text !== undefined) return text;
    this.whole ??= isAscii(this.buf) ? this.buf.toString("latin1") : "";
    const start = this.starts[at]!;
    const end = this.ends[at]!;
    return this.whole.length === this.buf.length ? this.whole.slice(start, end) : this.buf.toString("utf8", start, end);
  }

  value(row: number, column: number, asNumber: boolean): RawValue {
    const at = row * this.width + column;
    if (asNumber) {
      const x = this.number(row, column);
      if (x === x) return x;
    }
    const text = this.text(at);
    return this.isMissing(text) ? null : text;
  }

  number(row: number, column: number): number {
    const at = row * this.width + column;
    return numberValue(this.buf, this.starts[at]!, this.ends[at]!, this.texts.size > 0 ? (this.texts.get(at) ?? null) : null, this.numbers[at]!, this.longest);
  }

  hash(row: number, column: number, seed: number): number {
    const at = row * this.width + column;
    if (this.texts.size > 0 && this.texts.has(at)) return NaN;
    const start = this.starts[at]!;
    const end = this.ends[at]!;
    if (end === start) return NaN;
    // With no blank (nor a byte of a multi-byte character) at either end, the text is a missing marker, trimmed or not, exactly when its bytes are one's.
    const first = this.buf[start]!;
    const last = this.buf[end - 1]!;
    if (first <= 32 || first >= 127 || last <= 32 || last >= 127) return NaN;
    if (end - start <= this.longestBytes && this.isMarker(start, end)) return NaN;
    return murmur3BytesInt32(this.buf, seed, end - start, start);
  }

  private isMarker(start: number, end: number): boolean {
    const buf = this.buf;
    const length = end - start;
    next: for (const marker of this.markers) {
      if (marker.length !== length) continue;
      for (let i = 0; i < length; i++) if (buf[start + i] !== marker[i]) continue next;
      return true;
    }
    return false;
  }

  /** Rows [from, to) as the records the record reader hands out (kept columns only), `asNumber` naming the number columns. */
  records(from: number, to: number, asNumber: ReadonlySet<string>): RawRecord[] {
    const out: RawRecord[] = [];
    const kept = [...this.index];
    for (let r = from; r < to; r++) {
      const fields: Record<string, RawValue> = {};
      for (const [name, k] of kept) setField(fields, name, this.value(r, k, asNumber.has(name)));
      out.push({ line: this.lines[r]!, fields });
    }
    return out;
  }
}

/** `to`, holding `from`'s values first. */
function grown<A extends Int32Array | Float64Array>(from: A, to: A): A {
  to.set(from);
  return to;
}

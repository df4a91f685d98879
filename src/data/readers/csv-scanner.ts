import { isAscii } from "node:buffer";
import { decimalScan, parseDecimalPrefix } from "../encode/decimal.js";

/**
 * A record this long is almost surely an unclosed quote swallowing the rest
 * of the file; stopping here keeps memory bounded and names the line.
 */
export const MAX_RECORD_BYTES = 64 << 20;

/** Why the scan stopped: the place is `bytes` (the last field or record boundary) and `column` (0-based field). */
export type CsvSyntaxCode = "INVALID_OPENING_QUOTE" | "CSV_INVALID_CLOSING_QUOTE" | "CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE" | "CSV_QUOTE_NOT_CLOSED" | "CSV_MAX_RECORD_SIZE";

export class CsvSyntaxError extends Error {
  constructor(
    readonly code: CsvSyntaxCode,
    /** Offset in the file of the last field or record boundary before the problem. */
    readonly bytes: number,
    /** 0-based index of the field the problem is in. */
    readonly column: number,
  ) {
    super(code);
    this.name = "CsvSyntaxError";
  }
}

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

/** Set when a scan ran out of bytes before its record ended (and more may come). */
const INCOMPLETE = -1;

/**
 * One record as the scanner found it, valid only during the onRecord call
 * (its bytes are the scanner's buffer): each field is a byte range of the
 * buffer, or, when its value is not its bytes as they stand (doubled quotes,
 * trailing Unicode blanks under `trim`, csv-parse's NUL continuation), a
 * string. Nothing is decoded until asked: a numeric column is parsed from its
 * bytes (src/data/encode/decimal.ts) without a string ever being made.
 */
export class CsvRecord {
  count = 0;
  buf: Buffer = Buffer.alloc(0);
  starts = new Int32Array(64);
  ends = new Int32Array(64);
  /** The value of field i when its bytes are not it; null otherwise. */
  texts: (string | null)[] = [];
  /** Field i's number, read as it was scanned, in a field the scanner was told holds numbers; NaN otherwise. */
  numbers = new Float64Array(64);

  constructor(private readonly scanner: { decode(start: number, end: number): string }) {}

  /** Field i's value as a string. */
  text(i: number): string {
    return this.texts[i] ?? this.scanner.decode(this.starts[i]!, this.ends[i]!);
  }

  /** Every field as a string. */
  values(): string[] {
    return Array.from({ length: this.count }, (_, i) => this.text(i));
  }

  /** Line feeds inside the record's fields (quoted fields may hold them). */
  innerLineFeeds(): number {
    let inner = 0;
    for (let i = 0; i < this.count; i++) {
      const text = this.texts[i];
      if (text != null) {
        for (let k = text.indexOf("\n"); k >= 0; k = text.indexOf("\n", k + 1)) inner++;
      } else {
        for (let k = this.buf.indexOf(LF, this.starts[i]!); k >= 0 && k < this.ends[i]!; k = this.buf.indexOf(LF, k + 1)) inner++;
      }
    }
    return inner;
  }

  /** @internal the scanner's: adds a field by its bytes, or by its string. */
  push(start: number, end: number, text: string | null, number: number): void {
    const i = this.count++;
    if (i === this.starts.length) {
      const starts = new Int32Array(2 * i);
      starts.set(this.starts);
      this.starts = starts;
      const ends = new Int32Array(2 * i);
      ends.set(this.ends);
      this.ends = ends;
      const numbers = new Float64Array(2 * i);
      numbers.set(this.numbers);
      this.numbers = numbers;
    }
    this.starts[i] = start;
    this.ends[i] = end;
    this.texts[i] = text;
    this.numbers[i] = number;
  }
}

/**
 * The CSV tokeniser: bytes in, records of fields out (CsvRecord: byte
 * ranges, decoded only on demand), with each record's end offset (its line
 * break included) for line numbers.
 *
 * Written for speed (a byte loop over whole chunks, no string made unless
 * asked for, no object per field, no per-byte state machine) but with the exact behaviour of the
 * csv-parse configuration mtl used before (RFC 4180 quotes with "" inside,
 * "\n" or "\r\n" ends a record, a lone "\r" is data, a leading UTF-8 BOM is
 * skipped, blank lines are skipped, `trim` strips blanks around fields and
 * around quotes), down to the error codes and the offsets they are reported
 * at: test/data/readers/csv-scanner.test.ts checks it against csv-parse.
 *
 * A record that does not end in a chunk is carried into the next; when the
 * carried part is large (a long quoted field), chunks are gathered until it
 * has doubled before scanning again, so a long record costs linear time.
 */
export class CsvScanner {
  private readonly delimiter: Buffer;
  private readonly d0: number;
  /** 1 for the bytes that end an unquoted field's plain run: the delimiter's first byte, a line break, a quote. One load per byte instead of four comparisons. */
  private readonly stops = new Uint8Array(256);
  /** Bytes not yet scanned, starting at a record's start, and their offset in the file. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private base = 0;
  /** Scan again only once this many bytes are pending. */
  private waitFor = 0;
  private bomChecked = false;
  /** The end offset of the last field or record (csv-parse's `info.bytes`): where errors are placed. */
  private boundary = 0;
  /** Per-scan state: whether the buffer is ASCII, and its text once a field of it was asked for as a string. */
  private ascii = false;
  private text: string | null = null;
  private buf: Buffer = Buffer.alloc(0);
  private readonly record = new CsvRecord(this);
  /** 1 for the fields (by position) whose consumer reads numbers: see numberFields. */
  private numeric: Uint8Array = new Uint8Array(0);

  constructor(
    delimiter: string,
    private readonly trim: boolean,
    private readonly onRecord: (record: CsvRecord, end: number) => void,
  ) {
    this.delimiter = Buffer.from(delimiter, "utf8");
    this.d0 = this.delimiter[0]!;
    for (const c of [this.d0, LF, QUOTE, CR]) this.stops[c] = 1;
  }

  /**
   * Tells the scanner which fields (by position) hold numbers: those are
   * read as plain decimals while they are scanned, in the same pass over
   * their bytes (CsvRecord.numbers), with the one decimal parser.
   */
  numberFields(mask: Uint8Array): void {
    this.numeric = mask;
  }

  /** Scans what `chunk` completes; a syntax error stops the scan (records before it were already handed out). */
  write(chunk: Buffer): CsvSyntaxError | null {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes < this.waitFor) return null;
    return this.scanPending(false);
  }

  /** Whether bytes written are waiting for the rest of their record (false: the last record ended where the input so far does). */
  hasPending(): boolean {
    return this.pendingBytes > 0;
  }

  /**
   * Goes on at `offset` (where the bytes written next start, in the offsets
   * the scanner reports) as at the start of a record, not of the file: no
   * byte-order mark is looked for. The bytes in between were scanned
   * elsewhere (csv-split.ts); nothing may be pending.
   */
  resumeAt(offset: number): void {
    if (this.pendingBytes > 0) throw new Error("CsvScanner.resumeAt: a record is pending");
    this.bomChecked = true;
    this.base = offset;
    this.boundary = offset;
    this.waitFor = 0;
  }

  /** Scans `bytes` as the rest of the input, in one scan: every record's fields are offsets in `bytes` (csv-segment.ts). */
  last(bytes: Buffer): CsvSyntaxError | null {
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    return this.scanPending(true);
  }

  /** Scans the rest at the end of the input. */
  end(): CsvSyntaxError | null {
    return this.scanPending(true);
  }

  private scanPending(final: boolean): CsvSyntaxError | null {
    let buf = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    if (!this.bomChecked) {
      if (buf.length < 3 && !final) {
        this.pending = [buf];
        return null;
      }
      this.bomChecked = true;
      if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) {
        buf = buf.subarray(3);
        this.base = 3;
      }
    }
    this.buf = buf;
    this.record.buf = buf;
    this.ascii = isAscii(buf);
    this.text = null;
    let consumed: number;
    try {
      consumed = this.scan(buf, final);
    } catch (error) {
      if (error instanceof CsvSyntaxError) return error;
      throw error;
    } finally {
      this.text = null;
    }
    const rest = buf.length - consumed;
    this.base += consumed;
    this.pending = rest > 0 ? [buf.subarray(consumed)] : [];
    this.pendingBytes = rest;
    if (rest > MAX_RECORD_BYTES) return new CsvSyntaxError("CSV_MAX_RECORD_SIZE", this.boundary, 0);
    this.waitFor = rest > 1 << 16 ? 2 * rest : 0;
    return null;
  }

  /**
   * The string of bytes [start, end) of the buffer being scanned. An ASCII
   * buffer is decoded once, on the first request, and fields are slices of it.
   */
  decode(start: number, end: number): string {
    if (!this.ascii) return this.buf.toString("utf8", start, end);
    this.text ??= this.buf.toString("latin1");
    return this.text.slice(start, end);
  }

  private isDelimiter(buf: Buffer, p: number): boolean {
    const d = this.delimiter;
    if (buf[p] !== this.d0) return false;
    for (let j = 1; j < d.length; j++) if (buf[p + j] !== d[j]) return false;
    return true;
  }

  /** Whether the bytes from `p` to the end of `buf` are the start of the delimiter, but not all of it. */
  private delimiterCut(buf: Buffer, p: number): boolean {
    const d = this.delimiter;
    if (p >= buf.length || p + d.length <= buf.length) return false;
    for (let j = 0; p + j < buf.length; j++) if (buf[p + j] !== d[j]) return false;
    return true;
  }

  /**
   * Scans whole records from the start of `buf`; returns the bytes consumed
   * (the start of the first record not complete in it, unless `final`).
   */
  private scan(buf: Buffer, final: boolean): number {
    const n = buf.length;
    const dlen = this.delimiter.length;
    const d0 = this.d0;
    const stops = this.stops;
    const single = dlen === 1;
    const trim = this.trim;
    let pos = 0;
    const record = this.record;
    const numeric = this.numeric;
    records: while (pos < n) {
      const start = pos;
      record.count = 0;
      for (;;) {
        let p = trim ? this.skipBlanks(buf, pos, final) : pos;
        if (p === INCOMPLETE) return start;
        // The field's value: bytes [vs, ve), or vtext when that is not them.
        let vs: number;
        let ve: number;
        let vtext: string | null = null;
        let number = NaN;
        let quoted = false;
        let q: number;
        if (p < n && buf[p] === QUOTE) {
          quoted = true;
          const close = this.closingQuote(buf, p, final, record.count);
          if (close === INCOMPLETE) return start;
          vs = p + 1;
          ve = close;
          if (this.escaped) vtext = this.decode(vs, ve).replaceAll('""', '"');
          q = close + 1;
          while (trim) {
            q = this.skipBlanks(buf, q, final);
            if (q === INCOMPLETE) return start;
            if (q < n && buf[q] === QUOTE) {
              // csv-parse: blanks and a quote after an empty quoted value open it again; after any other, an error.
              if (vtext !== null || ve !== vs) throw new CsvSyntaxError("INVALID_OPENING_QUOTE", this.boundary, record.count);
              q = this.reopenedQuote(buf, q, final, record.count);
              if (q === INCOMPLETE) return start;
              continue;
            }
            // A multi-byte delimiter cut by the chunk's end may still follow: wait for the rest.
            if (!final && this.delimiterCut(buf, q)) return start;
            if (q < n && buf[q] !== LF && !(buf[q] === CR && buf[q + 1] === LF) && !this.isDelimiter(buf, q)) {
              throw new CsvSyntaxError("CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE", this.boundary, record.count);
            }
            break;
          }
          if (!trim && q < n && buf[q] === 0) {
            // csv-parse takes a NUL after a closing quote as its end and the bytes after it as more of the field.
            const end = this.unquotedEnd(buf, q, q + 1, final, record.count);
            if (end === INCOMPLETE) return start;
            vtext = (vtext ?? this.decode(vs, ve)) + this.decode(q, end);
            q = end;
          }
        } else {
          if (single) {
            // The common case, inlined: stop at the delimiter, a line break or a quote.
            q = p;
            if (numeric[record.count] === 1) {
              // A number field: its decimal, when the field ends right after it, is the field.
              const x = parseDecimalPrefix(buf, p, n);
              const stop = decimalScan.end;
              if (x === x && stop + 1 < n) {
                const c = buf[stop]!;
                if (c === d0 || c === LF || (c === CR && buf[stop + 1] === LF)) {
                  q = stop;
                  number = x;
                }
              }
            }
            while (q < n && stops[buf[q]!] === 0) q++;
            if (q < n && (buf[q] === QUOTE || buf[q] === CR)) q = this.unquotedEnd(buf, p, q, final, record.count);
          } else {
            q = this.unquotedEnd(buf, p, p, final, record.count);
          }
          if (q === INCOMPLETE || (q === n && !final)) return start;
          vs = p;
          ve = q;
          if (trim) {
            // As String.prototype.trimEnd: ASCII blanks here, a Unicode one through the string.
            while (ve > vs && isTrimEndAscii(buf[ve - 1]!)) ve--;
            if (ve > vs && buf[ve - 1]! >= 0x80) vtext = this.decode(vs, ve).trimEnd();
          }
        }
        if (q >= n) {
          // The end of the input ends the record (the scan is final here: otherwise it returned above).
          if (!(record.count === 0 && !quoted && p === q)) {
            record.push(vs, ve, vtext, number);
            if (n - start > MAX_RECORD_BYTES) throw new CsvSyntaxError("CSV_MAX_RECORD_SIZE", this.boundary, record.count - 1);
            this.boundary = this.base + n;
            this.onRecord(record, this.base + n);
          }
          return n;
        }
        const c = buf[q]!;
        if (c === LF || c === CR) {
          const after = q + (c === CR ? 2 : 1);
          if (record.count === 0 && !quoted && p === q) {
            // A blank line: skipped, and not a boundary.
            pos = after;
            continue records;
          }
          record.push(vs, ve, vtext, number);
          if (after - start > MAX_RECORD_BYTES) throw new CsvSyntaxError("CSV_MAX_RECORD_SIZE", this.boundary, record.count - 1);
          this.boundary = this.base + after;
          this.onRecord(record, this.base + after);
          pos = after;
          continue records;
        }
        // A delimiter.
        record.push(vs, ve, vtext, number);
        this.boundary = this.base + q;
        pos = q + dlen;
      }
    }
    return n;
  }

  /** Set by closingQuote: the quoted text holds doubled quotes. */
  private escaped = false;

  /**
   * The offset of the quote that closes the quoted field opened at `open`:
   * one followed by the end, a delimiter, a line break or (with trim) a blank.
   */
  private closingQuote(buf: Buffer, open: number, final: boolean, column: number): number {
    const n = buf.length;
    // Room to look past a quote for "\r\n", a "" or a delimiter without running off the end.
    const look = Math.max(this.delimiter.length, 2);
    this.escaped = false;
    let from = open + 1;
    for (;;) {
      const close = buf.indexOf(QUOTE, from);
      if (close < 0) {
        if (!final) return INCOMPLETE;
        throw new CsvSyntaxError("CSV_QUOTE_NOT_CLOSED", this.boundary, column);
      }
      if (!final && close + look >= n) return INCOMPLETE;
      if (buf[close + 1] === QUOTE) {
        this.escaped = true;
        from = close + 2;
        continue;
      }
      if (!this.closesAfter(buf, close + 1)) throw new CsvSyntaxError("CSV_INVALID_CLOSING_QUOTE", this.boundary, column);
      return close;
    }
  }

  /** Whether a quote followed by the byte at `i` closes its field: the end, a NUL (as csv-parse has it), a delimiter, a line break or (with trim) a blank. */
  private closesAfter(buf: Buffer, i: number): boolean {
    if (i >= buf.length) return true;
    const next = buf[i]!;
    return next === 0 || next === LF || (next === CR && buf[i + 1] === LF) || this.isDelimiter(buf, i) || (this.trim && isBlank(next));
  }

  /**
   * After `""` and blanks, csv-parse opens quotes again at a quote, but keeps
   * only blanks inside them (anything else is "non-trimable after the closing
   * quote"). Returns the offset after the quote that closes them.
   */
  private reopenedQuote(buf: Buffer, open: number, final: boolean, column: number): number {
    const n = buf.length;
    for (let p = open + 1; ; p++) {
      if (p >= n) {
        if (!final) return INCOMPLETE;
        throw new CsvSyntaxError("CSV_QUOTE_NOT_CLOSED", this.boundary, column);
      }
      const c = buf[p]!;
      if (isBlank(c)) continue;
      if (!final && p + Math.max(this.delimiter.length, 2) >= n) return INCOMPLETE;
      // A doubled quote would add a quote character: not a blank.
      if (c !== QUOTE || buf[p + 1] === QUOTE) throw new CsvSyntaxError("CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE", this.boundary, column);
      if (!this.closesAfter(buf, p + 1)) throw new CsvSyntaxError("CSV_INVALID_CLOSING_QUOTE", this.boundary, column);
      return p + 1;
    }
  }

  /**
   * The end of an unquoted field whose bytes start at `p`, scanning from `q`:
   * the next delimiter or record break. A quote inside is an error (only a
   * field's first byte may open quotes). INCOMPLETE when the input may go on.
   */
  private unquotedEnd(buf: Buffer, p: number, q: number, final: boolean, column: number): number {
    const n = buf.length;
    for (; q < n; q++) {
      const c = buf[q]!;
      if (c === LF) return q;
      if (c === CR) {
        if (q + 1 >= n) return final ? q + 1 : INCOMPLETE;
        if (buf[q + 1] === LF) return q;
        continue;
      }
      if (c === QUOTE) {
        if (q === p) throw new Error("a quote opening a field is scanned as quoted");
        throw new CsvSyntaxError("INVALID_OPENING_QUOTE", this.boundary, column);
      }
      if (c === this.d0 && this.isDelimiter(buf, q)) {
        if (q + this.delimiter.length > n && !final) return INCOMPLETE;
        return q;
      }
    }
    return final ? n : INCOMPLETE;
  }

  /** Skips the blanks `trim` strips (space, tab, form feed, a lone "\r"), stopping at a delimiter or line break. */
  private skipBlanks(buf: Buffer, p: number, final: boolean): number {
    const n = buf.length;
    for (; p < n; p++) {
      const c = buf[p]!;
      if (c === this.d0 && this.isDelimiter(buf, p)) return p;
      if (c === 0x20 || c === 0x09 || c === 0x0c) continue;
      if (c === CR) {
        if (p + 1 >= n) return final ? n : INCOMPLETE;
        if (buf[p + 1] === LF) return p;
        continue;
      }
      return p;
    }
    return final ? n : INCOMPLETE;
  }
}

/** The ASCII characters String.prototype.trimEnd strips: tab, line feed, vertical tab, form feed, carriage return, space. */
function isTrimEndAscii(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

/** The bytes csv-parse's `trim` strips (its `timchars`). */
function isBlank(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0c || c === CR || c === LF;
}

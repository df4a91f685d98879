import { isAscii } from "node:buffer";

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
 * The CSV tokeniser: bytes in, records of field strings out, with each
 * record's end offset (its line break included) for line numbers.
 *
 * Written for speed (a byte loop over whole chunks, a field's string made
 * once, no per-byte state machine) but with the exact behaviour of the
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
  /** Bytes not yet scanned, starting at a record's start, and their offset in the file. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private base = 0;
  /** Scan again only once this many bytes are pending. */
  private waitFor = 0;
  private bomChecked = false;
  /** The end offset of the last field or record (csv-parse's `info.bytes`): where errors are placed. */
  private boundary = 0;
  /** Per-scan state: the text of an ASCII buffer, else null (fields are then decoded as UTF-8 one by one). */
  private text: string | null = null;
  private buf: Buffer = Buffer.alloc(0);

  constructor(
    delimiter: string,
    private readonly trim: boolean,
    private readonly onRecord: (values: string[], end: number) => void,
  ) {
    this.delimiter = Buffer.from(delimiter, "utf8");
    this.d0 = this.delimiter[0]!;
  }

  /** Scans what `chunk` completes; a syntax error stops the scan (records before it were already handed out). */
  write(chunk: Buffer): CsvSyntaxError | null {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes < this.waitFor) return null;
    return this.scanPending(false);
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
    this.text = isAscii(buf) ? buf.toString("latin1") : null;
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

  private field(start: number, end: number): string {
    return this.text !== null ? this.text.slice(start, end) : this.buf.toString("utf8", start, end);
  }

  private isDelimiter(buf: Buffer, p: number): boolean {
    const d = this.delimiter;
    if (buf[p] !== this.d0) return false;
    for (let j = 1; j < d.length; j++) if (buf[p + j] !== d[j]) return false;
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
    const single = dlen === 1;
    const trim = this.trim;
    let pos = 0;
    records: while (pos < n) {
      const start = pos;
      const values: string[] = [];
      for (;;) {
        let p = trim ? this.skipBlanks(buf, pos, final) : pos;
        if (p === INCOMPLETE) return start;
        let value: string;
        let quoted = false;
        let q: number;
        if (p < n && buf[p] === QUOTE) {
          quoted = true;
          value = "";
          const close = this.closingQuote(buf, p, final, values.length);
          if (close === INCOMPLETE) return start;
          const text = this.field(p + 1, close);
          value = this.escaped ? text.replaceAll('""', '"') : text;
          q = close + 1;
          while (trim) {
            q = this.skipBlanks(buf, q, final);
            if (q === INCOMPLETE) return start;
            if (q < n && buf[q] === QUOTE) {
              // csv-parse: blanks and a quote after an empty quoted value open it again; after any other, an error.
              if (value !== "") throw new CsvSyntaxError("INVALID_OPENING_QUOTE", this.boundary, values.length);
              q = this.reopenedQuote(buf, q, final, values.length);
              if (q === INCOMPLETE) return start;
              continue;
            }
            if (q < n && buf[q] !== LF && !(buf[q] === CR && buf[q + 1] === LF) && !this.isDelimiter(buf, q)) {
              throw new CsvSyntaxError("CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE", this.boundary, values.length);
            }
            break;
          }
          if (!trim && q < n && buf[q] === 0) {
            // csv-parse takes a NUL after a closing quote as its end and the bytes after it as more of the field.
            const end = this.unquotedEnd(buf, q, q + 1, final, values.length);
            if (end === INCOMPLETE) return start;
            value += this.field(q, end);
            q = end;
          }
        } else {
          if (single) {
            // The common case, inlined: stop at the delimiter, a line break or a quote.
            q = p;
            while (q < n) {
              const c = buf[q]!;
              if (c === d0 || c === LF || c === QUOTE || c === CR) break;
              q++;
            }
            if (q < n && (buf[q] === QUOTE || buf[q] === CR)) q = this.unquotedEnd(buf, p, q, final, values.length);
          } else {
            q = this.unquotedEnd(buf, p, p, final, values.length);
          }
          if (q === INCOMPLETE || (q === n && !final)) return start;
          value = this.field(p, q);
          if (trim) value = value.trimEnd();
        }
        if (q >= n) {
          // The end of the input ends the record (the scan is final here: otherwise it returned above).
          if (!(values.length === 0 && !quoted && p === q)) {
            values.push(value);
            if (n - start > MAX_RECORD_BYTES) throw new CsvSyntaxError("CSV_MAX_RECORD_SIZE", this.boundary, values.length - 1);
            this.boundary = this.base + n;
            this.onRecord(values, this.base + n);
          }
          return n;
        }
        const c = buf[q]!;
        if (c === LF || c === CR) {
          const after = q + (c === CR ? 2 : 1);
          if (values.length === 0 && !quoted && p === q) {
            // A blank line: skipped, and not a boundary.
            pos = after;
            continue records;
          }
          values.push(value);
          if (after - start > MAX_RECORD_BYTES) throw new CsvSyntaxError("CSV_MAX_RECORD_SIZE", this.boundary, values.length - 1);
          this.boundary = this.base + after;
          this.onRecord(values, this.base + after);
          pos = after;
          continue records;
        }
        // A delimiter.
        values.push(value);
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

/** The bytes csv-parse's `trim` strips (its `timchars`). */
function isBlank(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0c || c === CR || c === LF;
}

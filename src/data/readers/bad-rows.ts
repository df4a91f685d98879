import { DataError, type RawRecord } from "../record.js";

/** Checks one record after reading, e.g. against the JSON Schema built from the spec (see jsonl-schema.ts). */
export type RecordCheck = (record: RawRecord, file: string) => DataError | null;

/** How tolerant a read is; by default the first bad row stops it. */
export interface ReadLimits {
  /** Bad rows (wrong field count, invalid JSON line, invalid UTF-8, failed check) that may be skipped; default 0. */
  skipBadRows?: number;
  /** Told about every skipped row, in file order. */
  onSkip?: (err: DataError) => void;
  /** Run on every record; a non-null result makes the record a bad row. */
  check?: RecordCheck;
  /**
   * Columns the consumer reads only as numbers (numberColumns in
   * src/data/encode/plan.ts): a CSV reader may hand their plain decimals
   * out as numbers, parsed from the file's bytes (see fieldsBuilder).
   */
  numbers?: ReadonlySet<string>;
  /**
   * The columns the consumer reads: a CSV reader may leave the others out of
   * its records (not when one of these is not in the file, so that the
   * consumer's "column is missing" message can still list the file's columns).
   */
  columns?: ReadonlySet<string>;
}

/**
 * Counts skipped rows against the allowance. A row that exceeds it is thrown
 * with a hint saying the allowance was used up, since otherwise a user who
 * set `skipBadRows` would wonder why this row was not skipped.
 */
export class BadRowBudget {
  private readonly allowed: number;
  skipped = 0;

  constructor(private readonly limits: ReadLimits | undefined) {
    const n = limits?.skipBadRows ?? 0;
    this.allowed = n > 0 ? Math.floor(n) : 0; // NaN and negatives allow none; Infinity stays Infinity
  }

  /** Skips the row if the allowance permits, else throws its error. */
  reject(err: DataError): void {
    if (this.skipped < this.allowed) {
      this.skipped++;
      this.limits?.onSkip?.(err);
      return;
    }
    if (this.allowed === 0) throw err;
    const used = `${this.allowed} bad row${this.allowed === 1 ? " was" : "s were"} already skipped (skipBadRows: ${this.allowed})`;
    throw new DataError(err.file, err.line, err.message, err.hint ? `${err.hint}; ${used}` : used, err.field);
  }

  /** Runs the optional check; true when the record may be handed on. */
  accept(record: RawRecord, file: string): boolean {
    const check = this.limits?.check;
    if (!check) return true;
    const err = check(record, file);
    if (err === null) return true;
    this.reject(err);
    return false;
  }

  /** The error for a file that produced no usable row. */
  noRows(file: string, line: number | null, what: string): DataError {
    if (this.skipped > 0) {
      return new DataError(file, null, `no data rows: all ${this.skipped} rows were bad and skipped`, "every row was bad; see the skipped rows reported above");
    }
    return new DataError(file, line, what, "a data file needs at least one data row");
  }
}

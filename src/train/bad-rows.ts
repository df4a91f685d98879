import { DataError, type RawRecord } from "../data/record.js";
import type { ReadLimits, RecordCheck } from "../data/readers/index.js";

/**
 * One allowance of bad rows for one pass over a file, shared by the reader
 * (wrong field counts, bad JSON) and the encoder (text in a numeric column,
 * a label outside its values), so `--skip-bad-rows N` means N in total.
 */
export class SkipBudget {
  readonly skipped: DataError[] = [];

  /** `onSkip` hears of every row skipped, to report it. */
  constructor(
    readonly limit: number,
    private readonly onSkip: (error: DataError) => void = () => {},
  ) {}

  readonly take = (error: DataError): void => {
    if (this.skipped.length >= this.limit) {
      const hint = this.limit === 0 ? "fix the row, or allow skipping bad rows with --skip-bad-rows N" : `${this.limit} bad rows were already skipped (--skip-bad-rows ${this.limit})`;
      throw new DataError(error.file, error.line, error.message, error.hint ? `${error.hint}; ${hint}` : hint, error.field);
    }
    this.skipped.push(error);
    this.onSkip(error);
  };

  /** Reader limits that route every bad row (including one failing `check`) through this budget. */
  readerLimits(check?: RecordCheck): ReadLimits {
    return { skipBadRows: Number.POSITIVE_INFINITY, onSkip: this.take, ...(check && { check }) };
  }
}

/**
 * A read check that encodes each record on its own, so a row the encoder
 * refuses (text in a numeric column, a label outside its values) is rejected
 * by the reader in file order, together with rows the reader itself refuses;
 * otherwise the reader, a batch ahead, would report a later bad row first.
 */
export function encoderCheck(encode: (records: RawRecord[], file: string) => unknown, also?: RecordCheck): RecordCheck {
  return (record, file) => {
    const earlier = also?.(record, file);
    if (earlier) return earlier;
    try {
      encode([record], file);
      return null;
    } catch (error) {
      if (error instanceof DataError) return error;
      throw error;
    }
  };
}

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

/** Rows reported one by one before the rest are only counted. */
const SHOWN_SKIPS = 20;

/**
 * An `onSkip` for SkipBudget that reports each skipped row as a warning with
 * its file, line, field and hint (the first 20 of them; later ones are only
 * counted), in the same words as `mtl train`.
 */
export function skipReporter(write: (text: string) => void): (error: DataError) => void {
  let reported = 0;
  return (error) => {
    reported++;
    if (reported <= SHOWN_SKIPS) write(`${error.render().replace(": error: ", ": warning: skipped bad row: ")}\n`);
    else if (reported === SHOWN_SKIPS + 1) write("(further skipped rows are counted, not shown)\n");
  };
}

/** "skipped 1 bad row", "skipped 3 bad rows". */
export function skippedRows(n: number): string {
  return `skipped ${n} bad row${n === 1 ? "" : "s"}`;
}

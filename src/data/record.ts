import { EXIT_ERRORS } from "../cli/exit-codes.js";
import { MtlError } from "../errors.js";
import type { DataIR } from "../ir/types.js";

/**
 * What the readers hand to the encoder: one record of raw field values, with
 * the place it came from so that any later error can name the row.
 */
/** Arrays come from JSONL arrays and Parquet lists (sequence features). */
export type RawValue = string | number | boolean | null | (string | number | boolean | null)[];

export interface RawRecord {
  /** 1-based line in the file (CSV, JSONL) or 1-based row number (Parquet). */
  line: number;
  /** Field values by column name; a missing value (empty, `?`, `NA`, null) is null. */
  fields: Record<string, RawValue>;
}

/**
 * How to read one data file: the spec's data section (the same fields),
 * overridable from the command line.
 */
export type ReadOptions = DataIR;

/**
 * A problem with the data, located as precisely as the format allows.
 * Rendered as `file:line: message` plus a hint; never as a stack trace. Exit 1.
 */
export class DataError extends MtlError {
  readonly exitCode = EXIT_ERRORS;

  constructor(
    readonly file: string,
    readonly line: number | null,
    message: string,
    readonly hint?: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = "DataError";
  }

  /** `file:line: message (field 'x')` followed by the hint on its own line. */
  render(): string {
    const where = this.line === null ? this.file : `${this.file}:${this.line}`;
    const field = this.field ? ` (field '${this.field}')` : "";
    return `${where}: error: ${this.message}${field}` + (this.hint ? `\n  hint: ${this.hint}` : "");
  }

  report(): string {
    return this.render();
  }
}

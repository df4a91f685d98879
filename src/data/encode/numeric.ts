import type { NumericFeatureIR } from "../../ir/types.js";
import type { RawValue } from "../record.js";
import { FieldError, describeValue } from "./field-error.js";
import type { NumericStats } from "./state.js";
import { FLOAT32_MAX, normalization, transformValue, type Transform } from "../../portable/encoding.js";
import { parseDecimal } from "./decimal.js";

export { FLOAT32_MAX, parseDecimal, transformValue, type Transform };

/** Spellings of "no value" that deserve a hint about the spec's missing list rather than about number syntax. */
const MISSING_LOOKING = new Set(["", "na", "n/a", "nan", "null", "none", "nil", "?", "-", "--", "."]);

/** The number of decimal text, or a FieldError naming the field and how to fix it. */
function parseText(text: string, field: string, what: string): number {
  const x = parseDecimal(text);
  if (x !== x) {
    const hint = MISSING_LOOKING.has(text.trim().toLowerCase())
      ? `if ${describeValue(text)} means "missing", add it to the data section's missing values`
      : "numeric columns take plain decimal numbers such as 3.5, -2 or 1e-3";
    throw new FieldError(`${what}: ${describeValue(text)} is not a number`, field, hint);
  }
  return checkRange(x, text, field, what);
}

function checkRange(x: number, value: RawValue, field: string, what: string): number {
  if (!Number.isFinite(x)) {
    // Only a JSON number can be NaN or infinite here; text that overflows a double lands below.
    if (typeof value === "number") {
      throw new FieldError(`${what}: ${x} is not a finite number`, field, "replace the value, or list it among the spec's missing values");
    }
  }
  if (!(Math.abs(x) <= FLOAT32_MAX)) {
    throw new FieldError(
      `${what}: ${describeValue(value)} does not fit in a 32-bit float (|x| > ${FLOAT32_MAX})`,
      field,
      "rescale the column before training (e.g. divide it by a constant)",
    );
  }
  return x;
}

/** A present value that is not a string: a JSON number, or a boolean where `acceptBoolean`. */
function parseOther(value: Exclude<RawValue, string | null>, field: string, what: string, acceptBoolean: boolean): number {
  if (typeof value === "number") return checkRange(value, value, field, what);
  if (acceptBoolean && typeof value === "boolean") return value ? 1 : 0;
  throw new FieldError(`${what}: ${describeValue(value)} is not a number`, field, "the column must hold numbers");
}

/**
 * Parses a numeric field: null for a missing value, else a finite number a
 * float32 can hold, else a FieldError. `what` names the consumer in messages
 * ("feature 'age'", "label column 'y'").
 */
export function parseNumber(value: RawValue | undefined, field: string, what: string, acceptBoolean: boolean): number | null {
  if (typeof value === "string") return parseText(value, field, what);
  if (value === null || value === undefined) return null;
  return parseOther(value, field, what, acceptBoolean);
}

/**
 * log1p of the small counts that make up most log1p columns, precomputed
 * with Math.log1p itself (so identical to it): a lookup is several times
 * cheaper than the libm routine, which would otherwise dominate the row loop.
 */
const LOG1P_TABLE_SIZE = 4096;
const LOG1P_TABLE = Float64Array.from({ length: LOG1P_TABLE_SIZE }, (_, i) => Math.log1p(i));

/**
 * Reads one numeric feature: parse, then transform. Fitting and encoding
 * both go through it, so a value is accepted by one exactly when by the other.
 */
export class NumericReader {
  readonly column: string;
  /** Built once: a message prefix assembled per value would allocate on every row. */
  private readonly what: string;
  private readonly transform: Transform;

  constructor(readonly feature: NumericFeatureIR) {
    this.column = feature.column;
    this.what = `feature '${feature.name}'`;
    this.transform = feature.transform;
  }

  /** The raw value, or null when missing. */
  read(value: RawValue | undefined): number | null {
    return parseNumber(value, this.column, this.what, true);
  }

  /** The transformed value of a raw one, or a FieldError outside the transform's domain. */
  transformed(x: number): number {
    // Compared here rather than through transformValue: a switch on strings is not inlined into the row loop.
    const t = this.transform;
    if (t === "none") return x;
    if (t === "log1p") {
      if (x >= 0 && x < LOG1P_TABLE_SIZE && (x | 0) === x) return LOG1P_TABLE[x]!;
      if (x > -1) return Math.log1p(x);
    } else if (x >= 0) {
      return Math.sqrt(x);
    }
    throw this.domainError(x);
  }

  private domainError(x: number): FieldError {
    const { name, transform } = this.feature;
    const domain = transform === "log1p" ? "greater than -1" : "at least 0";
    return new FieldError(
      `feature '${name}': transform ${transform} needs a value ${domain}, got ${x}`,
      this.column,
      `change the transform of '${name}' (e.g. 'transform none'), or fix the value`,
    );
  }
}

/** Fill, transform and normalize with the statistics fitted on the training data. */
export class NumericCodec {
  readonly column: string;
  private readonly reader: NumericReader;
  private readonly center: number;
  private readonly scale: number;
  /** A missing value always encodes to the same number, so it is worked out once. */
  private readonly missingOutput: number;

  constructor(feature: NumericFeatureIR, stats: NumericStats) {
    this.column = feature.column;
    this.reader = new NumericReader(feature);
    ({ center: this.center, scale: this.scale } = normalization(feature.normalize, stats));
    this.missingOutput = (this.reader.transformed(stats.fillValue) - this.center) / this.scale;
  }

  /**
   * Writes the encoded value into `out[row]`. Writing rather than returning
   * keeps the double from being boxed on the heap when this is not inlined.
   */
  encodeInto(value: RawValue | undefined, out: Float32Array, row: number): void {
    const x = this.reader.read(value);
    if (x === null) {
      out[row] = this.missingOutput;
      return;
    }
    const v = (this.reader.transformed(x) - this.center) / this.scale;
    // A value far outside the training data can pass float32 raw and overflow once normalized (1e38 with a std of 0.01):
    // as Infinity it would make every score of the row NaN.
    if (!(Math.abs(v) <= FLOAT32_MAX)) throw this.overflow(x);
    out[row] = v;
  }

  private overflow(x: number): FieldError {
    const { name, normalize } = this.reader.feature;
    return new FieldError(
      `feature '${name}': ${x} is beyond the 32-bit float range once normalized (${normalize}: minus ${this.center}, divided by ${this.scale}, from the training data)`,
      this.column,
      "the value is far outside what the model was trained on; check it, or list it among the spec's missing values",
    );
  }
}

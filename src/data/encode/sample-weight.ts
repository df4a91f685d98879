import type { TaskIR } from "../../ir/types.js";
import type { RawValue } from "../record.js";
import { FieldError, describeValue } from "./field-error.js";
import { parseNumber } from "./numeric.js";

/** Decodes a row's sample weight: null when the field is missing, else a finite number >= 0. */
export type WeightDecoder = (value: RawValue | undefined) => number | null;

/**
 * A task's `sample_weight` column. A weight scales the row's term in the
 * loss, sum(w l) / sum(w), so a negative one would reward the model for
 * getting the row wrong, and an infinite or NaN one would swamp every other
 * row: both are row errors, as is text. 0 is allowed: it leaves the row out.
 */
export function sampleWeightDecoder(task: TaskIR, column: string): WeightDecoder {
  const what = `task '${task.name}': sample weight column '${column}'`;
  return (value) => {
    const w = parseNumber(value, column, what, false);
    if (w !== null && !(w >= 0)) {
      throw new FieldError(`${what} must be at least 0, got ${describeValue(value)}`, column, "a row's weight scales its loss; write 0 to leave a row out");
    }
    return w;
  };
}

import { DataError, type RawRecord, type RawValue } from "../record.js";
import { FieldError } from "./field-error.js";
import type { TaskSlot } from "./plan.js";

/** What to do with a row whose values cannot be encoded. */
export interface BadRowOptions {
  /**
   * Called with the error of each bad row, which is then left out. Without
   * it the first bad row throws its DataError.
   */
  onBadRow?: (error: DataError) => void;
}

/** Turns a FieldError from a codec into the DataError of the row; anything else is a bug and is rethrown. */
export function toDataError(error: unknown, file: string, record: RawRecord): DataError {
  if (error instanceof FieldError) return new DataError(file, record.line, error.message, error.hint, error.field);
  throw error;
}

/**
 * Writes the label and mask of `task` for one row. A missing label is an
 * error, except where the task's mask is 0: the loss ignores those rows, so
 * there the label may be absent (ESMM's conversions on unclicked rows) and 0
 * is stored. With a `sample_weight` column the mask is the row's weight:
 * the `where` value (0 or 1) times the column's value.
 */
export function encodeTaskRow(
  task: TaskSlot,
  fields: Record<string, RawValue>,
  labels: Float32Array | undefined,
  masks: Float32Array | undefined,
  row: number,
): void {
  let mask = 1;
  const where = task.where;
  if (where !== null) {
    const m = where.decode(fields[where.column]);
    if (m === null) {
      throw new FieldError(
        `task '${task.name}': where column '${where.column}' is missing`,
        where.column,
        "every training row needs the 0/1 value that selects it for this task",
      );
    }
    mask = m;
    masks![row] = m;
  }
  const label = task.label;
  if (label !== null) {
    let y = label.decode(fields[label.column]);
    if (y === null) {
      if (mask !== 0) {
        throw new FieldError(
          `task '${task.name}': label column '${label.column}' is missing`,
          label.column,
          where === null
            ? `every training row needs a label; if the task only applies to some rows, restrict it with \`where <column>\``
            : `a label may be missing only on rows where '${where.column}' is 0`,
        );
      }
      y = 0;
    }
    labels![row] = y;
  }
  const weight = task.weight;
  if (weight !== null) {
    let w = weight.decode(fields[weight.column]);
    if (w === null) {
      if (mask !== 0) {
        throw new FieldError(
          `task '${task.name}': sample weight column '${weight.column}' is missing`,
          weight.column,
          where === null ? "every row the task trains on needs its weight (0 leaves the row out)" : `a weight may be missing only on rows where '${where.column}' is 0`,
        );
      }
      w = 0;
    }
    masks![row] = mask * w;
  }
}

import type { ValidIR } from "../../ir/types.js";
import type { RawValue } from "../record.js";
import { canonicalString } from "./canonical.js";
import { planEncoding, type TaskSlot } from "./plan.js";

/**
 * The values one binary task's label column took on the rows the task is
 * scored on (its `where` mask is 1 and the label is present). Training
 * records them in the model folder (encoding.json), so that evaluation can
 * tell a file that spells the label differently (UCI Adult's `>50K` and
 * `>50K.`) from one that merely has other rows, instead of silently reading
 * every unknown spelling as a negative.
 */
export interface LabelValues {
  column: string;
  /** The declared positive values; null for a 0/1 or true/false column. */
  positives: string[] | null;
  /**
   * Rows by field text, in order of first appearance. A 0/1 column counts
   * its decoded values, "0" and "1", whatever their spelling.
   */
  values: Record<string, number>;
  /** Rows whose value came after MAX_DISTINCT others and was not kept apart. */
  other: number;
}

/** A binary label has few values; a column with more is probably not one, and the record stays small. */
export const MAX_DISTINCT = 100;

/** Counts the label values of every labelled binary task, one good row at a time. */
export class LabelValueCounter {
  private readonly tasks: { slot: TaskSlot; counts: LabelValues; positive: Set<string>; distinct: number }[];

  constructor(ir: ValidIR) {
    const labels = new Map(ir.tasks.filter((t) => t.type === "binary" && t.label !== null).map((t) => [t.name, t.label!]));
    this.tasks = planEncoding(ir)
      .tasks.filter((slot) => labels.has(slot.name))
      .map((slot) => {
        const { column, positives } = labels.get(slot.name)!;
        return { slot, counts: { column, positives, values: {}, other: 0 }, positive: new Set(positives ?? ["1"]), distinct: 0 };
      });
  }

  /** A row that encoded without error: its values are known to decode. */
  add(fields: Record<string, RawValue>): void {
    for (const task of this.tasks) {
      const { slot, counts } = task;
      if (slot.where !== null && slot.where.decode(fields[slot.where.column]) !== 1) continue;
      const value = fields[slot.label!.column];
      if (value === null || value === undefined) continue;
      const key = counts.positives === null ? String(slot.label!.decode(value)) : canonicalString(value);
      if (Object.hasOwn(counts.values, key)) {
        counts.values[key]!++;
      } else if (task.distinct < MAX_DISTINCT || task.positive.has(key)) {
        // Declared positive values are always kept apart, so positives are never lost in `other`.
        counts.values[key] = 1;
        task.distinct++;
      } else {
        counts.other++;
      }
    }
  }

  /** By task name. */
  result(): Record<string, LabelValues> {
    return Object.fromEntries(this.tasks.map(({ slot, counts }) => [slot.name, counts]));
  }
}

/** Rows that decode to 1 and to 0 (`other` holds no positive value: those are always kept apart). */
export function classCounts(counts: LabelValues): { positives: number; negatives: number } {
  let positives = 0;
  let negatives = counts.other;
  const positive = new Set(counts.positives ?? ["1"]);
  for (const [value, rows] of Object.entries(counts.values)) {
    if (positive.has(value)) positives += rows;
    else negatives += rows;
  }
  return { positives, negatives };
}

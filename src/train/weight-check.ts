import type { EncodedBatch } from "../data/encode/index.js";
import { DataError } from "../data/record.js";
import type { TaskIR, ValidIR } from "../ir/types.js";

/**
 * Refuses training when a task's sample weights are 0 on every row it trains
 * on: its loss, sum(w l) / sum(w), would be 0 at every step, so it would
 * learn nothing, and every metric of it would be undefined. Unlike a label
 * with one class, which a small sample may lack, no sample explains a weight
 * column of zeros: it is the wrong column, or `where` and the weights select
 * disjoint rows. Reads only the tasks' masks (the weights), once.
 */
export function checkSampleWeights(ir: ValidIR, encoded: Iterable<{ batch: EncodedBatch }>, file: string): void {
  const weighted = ir.tasks.filter((t) => t.sampleWeight !== undefined);
  if (weighted.length === 0) return;
  const totals = new Float64Array(weighted.length);
  for (const { batch } of encoded) {
    weighted.forEach((task, k) => {
      const weights = batch.masks[task.name]!;
      for (let i = 0; i < batch.size; i++) totals[k]! += weights[i]!;
    });
  }
  weighted.forEach((task, k) => {
    if (totals[k]! > 0) return;
    const { message, hint, column } = zeroWeightProblem(task);
    throw new DataError(file, null, message, hint, column);
  });
}

/** What is wrong when `task`'s sample weights are all 0 (a task with a sample_weight); the torch target's train.py says the same (spec.py's ZERO_WEIGHTS). */
export function zeroWeightProblem(task: TaskIR): { message: string; hint: string; column: string } {
  const column = task.sampleWeight!;
  const rows = task.where === null ? "every training row" : `every training row where '${task.where.column}' selects it`;
  return {
    message: `task '${task.name}': sample weight column '${column}' is 0 on ${rows}, so the task would learn nothing and its metrics would be undefined`,
    hint: "check that sample_weight names the column of row weights (a weight of 0 leaves a row out)",
    column,
  };
}

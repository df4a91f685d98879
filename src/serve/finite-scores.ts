import { DataError } from "../data/record.js";

/**
 * Refuses a batch in which the model scored a row NaN or infinite. Weights
 * are checked when a model folder is opened (weight-values.ts), but finite
 * weights can still overflow on a row far outside the training range, and
 * such a score must never reach an output file or a metric as if it were one.
 * `lines[i]` is the input line (or Parquet row) of scored row i.
 */
export function assertFiniteScores(scores: Readonly<Record<string, Float32Array>>, lines: ArrayLike<number | null>, file: string): void {
  for (const [task, values] of Object.entries(scores)) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v - v === 0) continue;
      throw new DataError(
        file,
        lines[i] ?? null,
        `task '${task}': the model scores this row ${v}, which is no score: the network overflows on its values`,
        "look for a value far outside the training data in this row (skip it or fix it), or retrain with normalize: zscore on the numeric features or a lower learning rate",
      );
    }
  }
}

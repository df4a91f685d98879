import { auc } from "./auc.js";
import { GrowableFloat64Array } from "./growable.js";
import { logLoss, mae, rmse } from "./pointwise.js";
import { checkLengths, selected } from "./select.js";

export type TaskKind = "binary" | "regression";

export interface BinaryTaskMetrics {
  type: "binary";
  /** Rows scored (after masking). */
  count: number;
  positives: number;
  /** positives / count; NaN without rows. */
  positiveRate: number;
  /** Mean predicted probability: compare with positiveRate for calibration. */
  meanPrediction: number;
  /** NaN when the rows hold only one class. */
  auc: number;
  logLoss: number;
}

export interface RegressionTaskMetrics {
  type: "regression";
  count: number;
  rmse: number;
  mae: number;
  meanLabel: number;
  meanPrediction: number;
}

export type TaskMetrics = BinaryTaskMetrics | RegressionTaskMetrics;
export type TaskMetricsFor<K extends TaskKind> = K extends "binary" ? BinaryTaskMetrics : RegressionTaskMetrics;

function mean(v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]!;
  return v.length === 0 ? NaN : s / v.length;
}

/**
 * Collects one task's predictions and labels batch by batch, keeping only the
 * masked-in rows, and computes the task's metrics over everything at the end:
 * AUC is not a mean over batches, so it needs all rows at once.
 *
 * Binary tasks: AUC, log loss, row count, positive rate, mean prediction.
 * Regression tasks: RMSE, MAE, row count, mean label, mean prediction.
 * Metrics of an empty accumulator are NaN (count 0).
 */
export class TaskMetricAccumulator<K extends TaskKind = TaskKind> {
  private readonly scores: GrowableFloat64Array;
  private readonly labels: GrowableFloat64Array;

  constructor(
    readonly type: K,
    initialCapacity = 1024,
  ) {
    if (type !== "binary" && type !== "regression") throw new RangeError(`unknown task type '${String(type)}'`);
    this.scores = new GrowableFloat64Array(initialCapacity);
    this.labels = new GrowableFloat64Array(initialCapacity);
  }

  /** Rows collected so far. */
  get count(): number {
    return this.scores.length;
  }

  /**
   * Appends the rows of one batch where mask == 1 (all rows without a mask).
   * Validates as it goes, so a bad value is reported with its batch row rather
   * than at the end: NaN predictions, and binary labels other than 0 and 1.
   * Nothing of a batch is kept when it throws.
   */
  add(scores: ArrayLike<number>, labels: ArrayLike<number>, mask?: ArrayLike<number>): void {
    const what = "TaskMetricAccumulator.add";
    checkLengths(what, scores, labels, mask);
    for (let i = 0; i < scores.length; i++) {
      if (!selected(what, mask, i)) continue;
      if (Number.isNaN(scores[i]!)) throw new RangeError(`${what}: prediction is NaN at batch row ${i}`);
      const y = labels[i]!;
      if (this.type === "binary" ? y !== 0 && y !== 1 : Number.isNaN(y)) {
        const expected = this.type === "binary" ? "0 or 1" : "a number";
        throw new RangeError(`${what}: label must be ${expected}, got ${y} at batch row ${i}`);
      }
    }
    this.scores.reserve(scores.length);
    this.labels.reserve(scores.length);
    for (let i = 0; i < scores.length; i++) {
      if (mask !== undefined && mask[i] !== 1) continue;
      this.scores.push(scores[i]!);
      this.labels.push(labels[i]!);
    }
  }

  compute(): TaskMetricsFor<K> {
    const s = this.scores.view();
    const y = this.labels.view();
    const count = s.length;
    if (this.type === "binary") {
      let positives = 0;
      for (let i = 0; i < count; i++) positives += y[i]!;
      const m: BinaryTaskMetrics = {
        type: "binary",
        count,
        positives,
        positiveRate: count === 0 ? NaN : positives / count,
        meanPrediction: mean(s),
        auc: auc(s, y),
        logLoss: logLoss(s, y),
      };
      return m as TaskMetricsFor<K>;
    }
    const m: RegressionTaskMetrics = {
      type: "regression",
      count,
      rmse: rmse(s, y),
      mae: mae(s, y),
      meanLabel: mean(y),
      meanPrediction: mean(s),
    };
    return m as TaskMetricsFor<K>;
  }

  /** Forgets all rows, keeping the allocated buffers. */
  reset(): void {
    this.scores.clear();
    this.labels.clear();
  }
}

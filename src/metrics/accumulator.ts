import { aucOfSorted, sortedByClass } from "./auc.js";
import { calibrationBins, calibrationBinsOfSorted, expectedCalibrationError, normalizedEntropy, type CalibrationBin } from "./calibration.js";
import { groupedAuc } from "./gauc.js";
import { GrowableFloat64Array } from "./growable.js";
import { logLoss, mae, rmse } from "./pointwise.js";
import { checkLengths, selected } from "./select.js";
import { weightedAuc, weightedCalibrationBins, weightedCalibrationError, weightedErrors, weightedLogLoss, weightedMean, weightedNormalizedEntropy } from "./weighted.js";

export type TaskKind = "binary" | "regression";

export interface BinaryTaskMetrics {
  type: "binary";
  /** Rows scored (after masking). */
  count: number;
  /** With sample weights: their sum over the rows scored; every metric below is then weighted (metrics/weighted.ts). */
  weight?: number;
  positives: number;
  /** positives / count; NaN without rows. */
  positiveRate: number;
  /** Mean predicted probability: compare with positiveRate for calibration. */
  meanPrediction: number;
  /** NaN when the rows hold only one class. */
  auc: number;
  logLoss: number;
  /** Log loss over the entropy of the positive rate, as TorchRec reports it (calibration.ts); NaN with one class. */
  normalizedEntropy: number;
  /** meanPrediction / positiveRate: 1 is calibrated on average, above 1 over-predicts; NaN without positives. */
  calibration: number;
  /** Expected calibration error over CALIBRATION_BINS equal-mass bins of the predictions. */
  ece: number;
  /** With groups (`--group-by`): the row-weighted mean of the groups' AUCs (gauc.ts). */
  gauc?: number;
  /** Groups with rows, groups left out of GAUC for holding one class, and the rows GAUC is over. */
  gaucGroups?: number;
  gaucSkippedGroups?: number;
  gaucRows?: number;
}

export interface RegressionTaskMetrics {
  type: "regression";
  count: number;
  /** With sample weights: their sum over the rows scored; RMSE, MAE and the means are then weighted. */
  weight?: number;
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
 * Binary tasks: AUC, log loss, row count, positive rate, mean prediction,
 * normalized entropy, calibration and ECE; with groups, GAUC.
 * Regression tasks: RMSE, MAE, row count, mean label, mean prediction.
 * Metrics of an empty accumulator are NaN (count 0).
 */
export class TaskMetricAccumulator<K extends TaskKind = TaskKind> {
  private readonly scores: GrowableFloat64Array;
  private readonly labels: GrowableFloat64Array;
  /** Each row's group (an index into the distinct group values), when GAUC is wanted. */
  private readonly groups: GrowableFloat64Array | null;
  /** Each row's sample weight, for a weighted task. */
  private readonly weights: GrowableFloat64Array | null;

  constructor(
    readonly type: K,
    initialCapacity = 1024,
    options: { grouped?: boolean; weighted?: boolean } = {},
  ) {
    if (type !== "binary" && type !== "regression") throw new RangeError(`unknown task type '${String(type)}'`);
    this.scores = new GrowableFloat64Array(initialCapacity);
    this.labels = new GrowableFloat64Array(initialCapacity);
    this.groups = options.grouped ? new GrowableFloat64Array(initialCapacity) : null;
    this.weights = options.weighted ? new GrowableFloat64Array(initialCapacity) : null;
  }

  /** Rows collected so far. */
  get count(): number {
    return this.scores.length;
  }

  /**
   * Appends the rows of one batch where mask == 1 (all rows without a mask).
   * Validates as it goes, so a bad value is reported with its batch row rather
   * than at the end: NaN predictions, and binary labels other than 0 and 1.
   * Nothing of a batch is kept when it throws. A grouped accumulator needs
   * each row's group: a whole number >= 0; a weighted one each row's sample
   * weight, finite and >= 0 (a row of weight 0 is not kept).
   */
  add(scores: ArrayLike<number>, labels: ArrayLike<number>, mask?: ArrayLike<number>, groups?: ArrayLike<number>, weights?: ArrayLike<number>): void {
    const what = "TaskMetricAccumulator.add";
    checkLengths(what, scores, labels, mask);
    if ((groups !== undefined) !== (this.groups !== null)) throw new RangeError(`${what}: groups are needed exactly when the accumulator is grouped`);
    if (groups !== undefined && groups.length !== scores.length) throw new RangeError(`${what}: ${groups.length} groups for ${scores.length} rows`);
    if ((weights !== undefined) !== (this.weights !== null)) throw new RangeError(`${what}: weights are needed exactly when the accumulator is weighted`);
    if (weights !== undefined && weights.length !== scores.length) throw new RangeError(`${what}: ${weights.length} weights for ${scores.length} rows`);
    for (let i = 0; i < scores.length; i++) {
      if (!selected(what, mask, i)) continue;
      if (Number.isNaN(scores[i]!)) throw new RangeError(`${what}: prediction is NaN at batch row ${i}`);
      const y = labels[i]!;
      if (this.type === "binary" ? y !== 0 && y !== 1 : Number.isNaN(y)) {
        const expected = this.type === "binary" ? "0 or 1" : "a number";
        throw new RangeError(`${what}: label must be ${expected}, got ${y} at batch row ${i}`);
      }
      if (groups !== undefined && !(Number.isInteger(groups[i]!) && groups[i]! >= 0 && groups[i]! < 2 ** 32)) {
        throw new RangeError(`${what}: group must be a whole number >= 0, got ${groups[i]} at batch row ${i}`);
      }
      if (weights !== undefined && !(weights[i]! >= 0 && weights[i]! < Infinity)) {
        throw new RangeError(`${what}: weight must be finite and >= 0, got ${weights[i]} at batch row ${i}`);
      }
    }
    this.scores.reserve(scores.length);
    this.labels.reserve(scores.length);
    for (let i = 0; i < scores.length; i++) {
      if ((mask !== undefined && mask[i] !== 1) || (weights !== undefined && weights[i] === 0)) continue;
      this.weights?.push(weights![i]!);
      this.scores.push(scores[i]!);
      this.labels.push(labels[i]!);
      if (groups !== undefined) this.groups!.push(groups[i]!);
    }
  }

  compute(): TaskMetricsFor<K> {
    const s = this.scores.view();
    const y = this.labels.view();
    const count = s.length;
    if (this.weights !== null) return this.computeWeighted(s, y, this.weights.view());
    if (this.type === "binary") {
      let positives = 0;
      for (let i = 0; i < count; i++) positives += y[i]!;
      // Sorted once for both AUC and the calibration bins.
      const classes = sortedByClass(s, y);
      const m: BinaryTaskMetrics = {
        type: "binary",
        count,
        positives,
        positiveRate: count === 0 ? NaN : positives / count,
        meanPrediction: mean(s),
        auc: aucOfSorted(classes.positives, classes.negatives),
        logLoss: logLoss(s, y),
        normalizedEntropy: normalizedEntropy(s, y),
        calibration: positives === 0 ? NaN : mean(s) / (positives / count),
        ece: expectedCalibrationError(calibrationBinsOfSorted(classes)),
      };
      if (this.groups) {
        const g = groupedAuc(s, y, Uint32Array.from(this.groups.view()));
        Object.assign(m, { gauc: g.gauc, gaucGroups: g.groups, gaucSkippedGroups: g.skippedGroups, gaucRows: g.rows });
      }
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

  /** Every metric with each row counted by its weight (weighted.ts); GAUC stays a mean over groups weighted by their rows. */
  private computeWeighted(s: Float64Array, y: Float64Array, w: Float64Array): TaskMetricsFor<K> {
    let weight = 0;
    for (let i = 0; i < w.length; i++) weight += w[i]!;
    const meanPrediction = weightedMean(s, w);
    if (this.type === "regression") {
      const m: RegressionTaskMetrics = { type: "regression", count: s.length, weight, ...weightedErrors(s, y, w), meanLabel: weightedMean(y, w), meanPrediction };
      return m as TaskMetricsFor<K>;
    }
    let positives = 0;
    for (let i = 0; i < y.length; i++) positives += y[i]!;
    const positiveRate = weightedMean(y, w);
    const m: BinaryTaskMetrics = {
      type: "binary",
      count: s.length,
      weight,
      positives,
      positiveRate,
      meanPrediction,
      auc: weightedAuc(s, y, w),
      logLoss: weightedLogLoss(s, y, w),
      normalizedEntropy: weightedNormalizedEntropy(s, y, w),
      calibration: positiveRate > 0 ? meanPrediction / positiveRate : NaN,
      ece: weightedCalibrationError(weightedCalibrationBins(s, y, w)),
    };
    if (this.groups) {
      const g = groupedAuc(s, y, Uint32Array.from(this.groups.view()));
      Object.assign(m, { gauc: g.gauc, gaucGroups: g.groups, gaucSkippedGroups: g.skippedGroups, gaucRows: g.rows });
    }
    return m as TaskMetricsFor<K>;
  }

  /** A binary task's reliability diagram: equal-mass bins of its predictions (calibration.ts), equal-weight ones for a weighted task. */
  reliability(): CalibrationBin[] {
    if (this.type !== "binary") throw new RangeError("reliability: only binary tasks have one");
    if (this.weights !== null) return weightedCalibrationBins(this.scores.view(), this.labels.view(), this.weights.view()).map(({ weight: _, ...bin }) => bin);
    return calibrationBins(this.scores.view(), this.labels.view());
  }

  /** Forgets all rows, keeping the allocated buffers. */
  reset(): void {
    this.scores.clear();
    this.labels.clear();
    this.groups?.clear();
    this.weights?.clear();
  }
}

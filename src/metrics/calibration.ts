/**
 * Calibration of a binary task's probabilities: whether a predicted 0.03
 * means that 3 rows in 100 are positive. Rows are already selected (a task's
 * `where`); labels are 0 or 1 and predictions are not NaN (the accumulator
 * checks both as rows arrive).
 */

import { sortedByClass, type SortedByClass } from "./auc.js";

/** Bins of the expected calibration error and of the reliability diagram. */
export const CALIBRATION_BINS = 10;

/**
 * TorchRec's clamp for normalized entropy (torchrec/metrics/ne.py, eta): the
 * predictions and the base rate are clipped to [eta, 1 - eta] before the
 * logarithm, so our NE is the number a TorchRec dashboard shows.
 */
export const NE_EPSILON = 1e-12;

/** One bin of a reliability diagram. */
export interface CalibrationBin {
  count: number;
  meanPrediction: number;
  positiveRate: number;
}

/**
 * Equal-mass bins: rows sorted by prediction and cut into `bins` runs of
 * (nearly) equal size. A cut never splits rows with the same prediction (it
 * moves to the end of their run), so the bins, and everything computed from
 * them, do not depend on the order of the rows; with many ties there are
 * fewer, larger bins. No rows, no bins.
 *
 * Since a bin holds every row of the predictions in its range, its positives
 * are the positive rows' predictions in that range: the bins are cut from
 * the predictions sorted by class (auc.ts sortedByClass, natively sorted,
 * shared with AUC; a comparator sort of row indices took 110 ms per 100,000
 * rows, after every epoch of a run, for each task), and the sums run over
 * the same values in the same order as over sorted rows.
 */
export function calibrationBins(scores: Float64Array, labels: Float64Array, bins = CALIBRATION_BINS): CalibrationBin[] {
  return calibrationBinsOfSorted(sortedByClass(scores, labels), bins);
}

/** calibrationBins of predictions already sorted by class. */
export function calibrationBinsOfSorted({ positives, negatives }: SortedByClass, bins = CALIBRATION_BINS): CalibrationBin[] {
  const n = positives.length + negatives.length;
  const sorted = new Float64Array(n);
  for (let k = 0, p = 0, q = 0; k < n; k++) sorted[k] = q >= negatives.length || (p < positives.length && positives[p]! <= negatives[q]!) ? positives[p++]! : negatives[q++]!;
  const out: CalibrationBin[] = [];
  let start = 0;
  let counted = 0;
  for (let b = 1; b <= bins && start < n; b++) {
    let end = Math.max(start + 1, Math.round((n * b) / bins));
    while (end < n && sorted[end] === sorted[end - 1]) end++;
    let sumScore = 0;
    for (let k = start; k < end; k++) sumScore += sorted[k]!;
    const highest = sorted[end - 1]!;
    const before = counted;
    while (counted < positives.length && positives[counted]! <= highest) counted++;
    const count = end - start;
    out.push({ count, meanPrediction: sumScore / count, positiveRate: (counted - before) / count });
    start = end;
  }
  return out;
}

/** Σ (rows of the bin / rows) · |mean prediction − positive rate| over the bins; NaN without rows. */
export function expectedCalibrationError(bins: readonly CalibrationBin[]): number {
  const n = bins.reduce((s, b) => s + b.count, 0);
  if (n === 0) return NaN;
  return bins.reduce((s, b) => s + (b.count / n) * Math.abs(b.meanPrediction - b.positiveRate), 0);
}

/**
 * Normalized entropy as TorchRec defines it: the cross-entropy of the
 * predictions divided by the entropy of the base rate, that is, the log loss
 * relative to always predicting the observed positive rate (below 1 is
 * better than that). Both clipped by NE_EPSILON, as TorchRec does (the log
 * loss column clips by LOG_LOSS_EPSILON, like the training loss, so the two
 * differ only for predictions within 1e-7 of 0 or 1). NaN when the rows hold
 * only one class (or none): the base rate then has no entropy to compare with.
 */
export function normalizedEntropy(scores: Float64Array, labels: Float64Array): number {
  let crossEntropy = 0;
  let positives = 0;
  for (let i = 0; i < scores.length; i++) {
    const p = Math.min(1 - NE_EPSILON, Math.max(NE_EPSILON, scores[i]!));
    const y = labels[i]!;
    crossEntropy -= y * Math.log(p) + (1 - y) * Math.log(1 - p);
    positives += y;
  }
  const negatives = scores.length - positives;
  if (positives === 0 || negatives === 0) return NaN;
  const rate = Math.min(1 - NE_EPSILON, Math.max(NE_EPSILON, positives / scores.length));
  return crossEntropy / -(positives * Math.log(rate) + negatives * Math.log(1 - rate));
}

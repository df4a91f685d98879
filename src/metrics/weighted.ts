/**
 * Metrics of rows that carry sample weights (a task's `sample_weight`
 * column): each row counts w times, as if it were repeated w times, so with
 * whole weights AUC, log loss, NE, the rates and the errors equal the
 * unweighted metrics of the repeated rows (test/metrics/weighted.test.ts). Rows arrive selected (weight
 * > 0), with labels 0/1 for binary tasks and predictions not NaN (the
 * accumulator checks both).
 */
import { CALIBRATION_BINS, NE_EPSILON, type CalibrationBin } from "./calibration.js";
import { LOG_LOSS_EPSILON } from "./pointwise.js";

function sum(w: Float64Array): number {
  let s = 0;
  for (let i = 0; i < w.length; i++) s += w[i]!;
  return s;
}

/** Σ w x / Σ w; NaN without weight. */
export function weightedMean(x: Float64Array, w: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += w[i]! * x[i]!;
  const total = sum(w);
  return total === 0 ? NaN : s / total;
}

/** Row indices by ascending score. */
function byScore(s: Float64Array): Uint32Array {
  const order = new Uint32Array(s.length);
  for (let i = 0; i < s.length; i++) order[i] = i;
  return order.sort((a, b) => s[a]! - s[b]!);
}

/**
 * Weighted AUC: Σ over (positive i, negative j) of w_i w_j ([s_i > s_j] +
 * ½ [s_i = s_j]), over W+ W-. NaN when either class has no weight.
 */
export function weightedAuc(s: Float64Array, y: Float64Array, w: Float64Array): number {
  const order = byScore(s);
  let wins = 0;
  let negBelow = 0;
  let posTotal = 0;
  for (let k = 0; k < order.length; ) {
    const v = s[order[k]!]!;
    let pos = 0;
    let neg = 0;
    for (; k < order.length && s[order[k]!] === v; k++) {
      const i = order[k]!;
      if (y[i] === 1) pos += w[i]!;
      else neg += w[i]!;
    }
    wins += pos * (negBelow + neg / 2);
    negBelow += neg;
    posTotal += pos;
  }
  return posTotal === 0 || negBelow === 0 ? NaN : wins / (posTotal * negBelow);
}

/** Σ w CE / Σ w, predictions clipped by `epsilon`; NaN without weight. */
export function weightedLogLoss(p: Float64Array, y: Float64Array, w: Float64Array, epsilon = LOG_LOSS_EPSILON): number {
  let loss = 0;
  for (let i = 0; i < p.length; i++) {
    const q = Math.min(1 - epsilon, Math.max(epsilon, p[i]!));
    loss -= w[i]! * (y[i]! * Math.log(q) + (1 - y[i]!) * Math.log(1 - q));
  }
  const total = sum(w);
  return total === 0 ? NaN : loss / total;
}

/** Weighted cross-entropy over the entropy of the weighted positive rate (calibration.ts's NE, with weights); NaN with one class. */
export function weightedNormalizedEntropy(p: Float64Array, y: Float64Array, w: Float64Array): number {
  const rate = weightedMean(y, w);
  if (!(rate > 0 && rate < 1)) return NaN;
  const r = Math.min(1 - NE_EPSILON, Math.max(NE_EPSILON, rate));
  return weightedLogLoss(p, y, w, NE_EPSILON) / -(r * Math.log(r) + (1 - r) * Math.log(1 - r));
}

/**
 * Equal-weight bins: rows sorted by prediction, cut where the running weight
 * passes each b/bins of the total, never between equal predictions (as the
 * unweighted bins are cut). A bin's `count` is its rows, its rate and mean
 * prediction are weighted, and `weight` is its share of the weight.
 */
export function weightedCalibrationBins(s: Float64Array, y: Float64Array, w: Float64Array, bins = CALIBRATION_BINS): (CalibrationBin & { weight: number })[] {
  const order = byScore(s);
  const total = sum(w);
  const out: (CalibrationBin & { weight: number })[] = [];
  let k = 0;
  let running = 0;
  for (let b = 1; b <= bins && k < order.length; b++) {
    const cut = (total * b) / bins;
    let weight = 0;
    let score = 0;
    let positive = 0;
    const start = k;
    while (k < order.length && (k === start || b === bins || running < cut || s[order[k]!] === s[order[k - 1]!])) {
      const i = order[k++]!;
      weight += w[i]!;
      score += w[i]! * s[i]!;
      positive += w[i]! * y[i]!;
      running += w[i]!;
    }
    out.push({ count: k - start, meanPrediction: score / weight, positiveRate: positive / weight, weight: weight / total });
  }
  return out;
}

/** Σ (bin weight share) |mean prediction − positive rate|; NaN without bins. */
export function weightedCalibrationError(bins: readonly (CalibrationBin & { weight: number })[]): number {
  if (bins.length === 0) return NaN;
  return bins.reduce((e, b) => e + b.weight * Math.abs(b.meanPrediction - b.positiveRate), 0);
}

/** sqrt(Σ w e²/ Σ w) and Σ w |e| / Σ w of the errors e = prediction − label. */
export function weightedErrors(p: Float64Array, y: Float64Array, w: Float64Array): { rmse: number; mae: number } {
  let squares = 0;
  let absolute = 0;
  for (let i = 0; i < p.length; i++) {
    const e = p[i]! - y[i]!;
    squares += w[i]! * e * e;
    absolute += w[i]! * Math.abs(e);
  }
  const total = sum(w);
  return total === 0 ? { rmse: NaN, mae: NaN } : { rmse: Math.sqrt(squares / total), mae: absolute / total };
}

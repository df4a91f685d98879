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

/**
 * Row indices by ascending score, equal scores (-0 and +0 too) in row order:
 * the order a stable comparator sort of the indices gives, so the sums below
 * add the same values in the same order. Without the comparator (a call per
 * comparison: 66 ms per 100,000 rows, for each weighted task after every
 * epoch): an LSD radix sort of the scores' bits, which is stable, 11 bits a
 * pass, skipping the passes whose digit all rows share (4 ms for float32
 * predictions, whose low bits are all zero; 10 ms for any doubles).
 */
export function byScore(s: Float64Array): Uint32Array {
  const n = s.length;
  const keys = new Float64Array(n);
  // `+ 0` turns -0 into +0, which compare equal.
  for (let i = 0; i < n; i++) keys[i] = s[i]! + 0;
  const words = new Uint32Array(keys.buffer);
  // Bits that sort as unsigned integers sort as the numbers: negatives' bits all flipped, the others' sign bit set.
  for (let i = 0; i < n; i++) {
    const hi = words[2 * i + HI]!;
    if (hi >>> 31) {
      words[2 * i + HI] = ~hi;
      words[2 * i + LO] = ~words[2 * i + LO]!;
    } else {
      words[2 * i + HI] = hi | 0x80000000;
    }
  }
  let order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  if (n < 2) return order;
  let spare = new Uint32Array(n);
  const digits = new Uint16Array(n);
  const next = new Uint32Array(BUCKETS);
  for (let bit = 0; bit < 64; bit += 11) {
    digitsAt(words, bit, digits);
    next.fill(0);
    for (let i = 0; i < n; i++) next[digits[i]!]!++;
    if (next[digits[0]!] === n) continue; // every row has this digit: the pass would keep the order
    for (let d = 0, at = 0; d < BUCKETS; d++) {
      const count = next[d]!;
      next[d] = at;
      at += count;
    }
    for (let k = 0; k < n; k++) {
      const i = order[k]!;
      const d = digits[i]!;
      spare[next[d]!] = i;
      next[d] = next[d]! + 1;
    }
    [order, spare] = [spare, order];
  }
  return order;
}

const BUCKETS = 1 << 11;
/** The low and high 32-bit word of a float64 in a Uint32Array view, by the platform's byte order. */
const LO = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1 ? 0 : 1;
const HI = 1 - LO;

/** Bits `bit` .. `bit` + 10 of each row's 64-bit key (two words a row), into `out`. */
function digitsAt(words: Uint32Array, bit: number, out: Uint16Array): void {
  const n = out.length;
  const mask = BUCKETS - 1;
  if (bit + 11 <= 32) {
    for (let i = 0; i < n; i++) out[i] = (words[2 * i + LO]! >>> bit) & mask;
  } else if (bit >= 32) {
    for (let i = 0; i < n; i++) out[i] = (words[2 * i + HI]! >>> (bit - 32)) & mask;
  } else {
    for (let i = 0; i < n; i++) out[i] = ((words[2 * i + LO]! >>> bit) | (words[2 * i + HI]! << (32 - bit))) & mask;
  }
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

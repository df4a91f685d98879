import type { Rng } from "../../util/random.js";

/**
 * Draws ranks 0..n-1 with P(k) proportional to 1 / (k + 1)^exponent: the
 * long-tailed popularity of users and items in logs. Exponent 0 is uniform.
 *
 * Inverse-CDF lookup by binary search: O(n) memory, O(log n) a draw, and one
 * uniform per draw, which keeps the random streams of callers aligned.
 */
export class ZipfSampler {
  private readonly cdf: Float64Array;

  constructor(
    readonly n: number,
    readonly exponent: number,
  ) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`Zipf size must be a positive integer, got ${n}`);
    if (!(exponent >= 0)) throw new RangeError(`Zipf exponent must be >= 0, got ${exponent}`);
    this.cdf = new Float64Array(n);
    let total = 0;
    for (let k = 0; k < n; k++) {
      total += Math.pow(k + 1, -exponent);
      this.cdf[k] = total;
    }
    for (let k = 0; k < n; k++) this.cdf[k]! /= total;
    this.cdf[n - 1] = 1; // rounding must not leave a gap above the last rank
  }

  /** The probability of rank k. */
  probability(k: number): number {
    return k === 0 ? this.cdf[0]! : this.cdf[k]! - this.cdf[k - 1]!;
  }

  sample(rng: Rng): number {
    const u = rng.next();
    let lo = 0;
    let hi = this.n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cdf[mid]! > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

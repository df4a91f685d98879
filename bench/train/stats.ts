/** Summaries of timing samples. */

/** The q-quantile (0..1) by linear interpolation between order statistics; NaN for no samples. */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const lo = Math.floor(position);
  const hi = Math.ceil(position);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (position - lo);
}

export function median(samples: readonly number[]): number {
  return quantile(samples, 0.5);
}

export function sum(samples: readonly number[]): number {
  return samples.reduce((total, x) => total + x, 0);
}

/** Rows per second for `rows` rows processed in `milliseconds`. */
export function rowsPerSecond(rows: number, milliseconds: number): number {
  return milliseconds > 0 ? (rows * 1000) / milliseconds : NaN;
}

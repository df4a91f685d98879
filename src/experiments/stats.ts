/** Summaries of one metric over seeds: what the report's "mean ± std (min – max)" cells show. */

export interface Summary {
  n: number;
  mean: number;
  /** Sample standard deviation (n - 1 in the denominator); 0 for a single value. */
  std: number;
  min: number;
  max: number;
}

export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) throw new RangeError("summarize needs at least one value");
  const bad = values.find((v) => !Number.isFinite(v));
  if (bad !== undefined) throw new RangeError(`summarize: every value must be finite, got ${bad}`);
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const squares = values.reduce((a, v) => a + (v - mean) ** 2, 0);
  return { n, mean, std: n > 1 ? Math.sqrt(squares / (n - 1)) : 0, min: Math.min(...values), max: Math.max(...values) };
}

/** "0.1234 ± 0.0056". */
export function meanStd(s: Summary, digits: number): string {
  return `${s.mean.toFixed(digits)} ± ${s.std.toFixed(digits)}`;
}

/** "0.1234 ± 0.0056 (0.1180 – 0.1290)": mean ± std, then min – max; one value prints alone. */
export function summaryCell(s: Summary, digits: number): string {
  return s.n === 1 ? s.mean.toFixed(digits) : `${meanStd(s, digits)} (${s.min.toFixed(digits)} – ${s.max.toFixed(digits)})`;
}

/** Error-bar ends at mean ± std; none for a single value, whose spread is unknown rather than zero. */
export function errorBar(s: Summary): { low: number; high: number } | Record<string, never> {
  return s.n === 1 ? {} : { low: s.mean - s.std, high: s.mean + s.std };
}

/** The whole numbers from..to, both included: the seeds of a size. */
export function seedRange(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

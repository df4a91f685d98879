/** Linear scales and "nice" axis ticks (steps of 1, 2 or 5 times a power of ten). */

export interface LinearScale {
  (value: number): number;
  readonly domain: readonly [number, number];
}

/** Maps [d0, d1] onto [r0, r1]; a zero-width domain maps everything to the middle of the range. */
export function linearScale(domain: readonly [number, number], range: readonly [number, number]): LinearScale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const map = (v: number) => (d1 === d0 ? (r0 + r1) / 2 : r0 + ((v - d0) / (d1 - d0)) * (r1 - r0));
  return Object.assign(map, { domain: [d0, d1] as const });
}

/** The step of about `count` intervals over [lo, hi]: 1, 2 or 5 times a power of ten. */
export function niceStep(lo: number, hi: number, count: number): number {
  const span = hi - lo;
  if (!(span > 0) || !Number.isFinite(span)) return 1;
  const rough = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(rough));
  const mantissa = rough / power;
  // Thresholds at the geometric midpoints (sqrt 2, sqrt 10, sqrt 50) keep the count closest to `count`.
  return (mantissa < Math.SQRT2 ? 1 : mantissa < Math.sqrt(10) ? 2 : mantissa < Math.sqrt(50) ? 5 : 10) * power;
}

export interface Axis {
  domain: [number, number];
  ticks: number[];
  /** Decimals that print every tick distinctly. */
  decimals: number;
}

/**
 * An axis covering [lo, hi], widened outward to whole steps so that the first
 * and last ticks sit on the frame. A single value gets a small span around it.
 */
export function niceAxis(lo: number, hi: number, count = 5): Axis {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) throw new RangeError(`axis bounds must be finite, got [${lo}, ${hi}]`);
  if (lo > hi) [lo, hi] = [hi, lo];
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const step = niceStep(lo, hi, count);
  const start = Math.floor(lo / step + 1e-9) * step;
  const end = Math.ceil(hi / step - 1e-9) * step;
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const ticks: number[] = [];
  for (let k = 0; start + k * step <= end + step * 1e-9; k++) ticks.push(Number((start + k * step).toFixed(decimals)));
  return { domain: [ticks[0]!, ticks.at(-1)!], ticks, decimals };
}

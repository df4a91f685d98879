/**
 * The synthetic two-task regression data of the MMoE paper (Ma et al.,
 * "Modeling Task Relationships in Multi-task Learning with Multi-gate
 * Mixture-of-Experts", KDD 2018), whose task relatedness is set by one number.
 *
 *   u1, u2 in R^d   orthonormal: Gaussian draws, Gram-Schmidt
 *   w1 = c u1,  w2 = c (p u1 + sqrt(1 - p^2) u2)     so cos(w1, w2) = p
 *   x ~ N(0, I_d)
 *   f_i(x) = w_i.x + sum_{j=1..m} sin(alpha_j w_i.x + beta_j)
 *   y_i    = f_i(x) + eps_i,  eps_i ~ N(0, sigma^2) independent
 *
 * Because x is standard normal, (w1.x, w2.x) is bivariate normal with
 * variances c^2 and Pearson correlation exactly p; the labels correlate less
 * than p because the sinusoids are nonlinear. alpha_j, beta_j are shared by
 * both tasks, as in the paper: the tasks differ only through w1 and w2.
 *
 * The paper leaves c, m, alpha, beta and the noise open. Defaults, and why:
 *   c = 1        w.x ~ N(0, 1): the linear part has unit variance.
 *   m = 10       a visibly wiggly target at a cost linear in m.
 *   alpha_j, beta_j ~ N(0, 1)   with N(0, 0.01) draws (0.01 read as either
 *                variance or deviation) a straight line explains over 99.99%
 *                of the variance of f(z), z ~ N(0, 1): the task would be
 *                linear and the labels would correlate almost exactly p.
 *                Unit-variance draws give periods comparable to the spread
 *                of w.x; how nonlinear f is then varies with the seed (a line
 *                explains 13% to 87% of its variance for seeds 0..2).
 *   sigma = 0.1  the paper's eps ~ N(0, 0.01), read as a variance.
 * Every one of them is an option.
 *
 * Random streams are forked by purpose from the seed, so with one seed the
 * directions, sinusoids, inputs and noise stay the same when p, c or the
 * noise level change: runs over p differ in p alone.
 */
import { Rng, type Seed } from "../../util/random.js";

export interface MmoeSyntheticOptions {
  /** Rows to generate. */
  rows: number;
  /** Task correlation p = cos(w1, w2), in [-1, 1]. */
  correlation: number;
  /** Input dimension d; at least 2. Default 100. */
  inputDim?: number;
  /** Scale c of the weight vectors. Default 1. */
  scale?: number;
  /** Number m of sinusoids. Default 10. Ignored when `alphas` is given. */
  sinusoids?: number;
  /** Standard deviation of the zero-mean normal alpha_j draws. Default 1. */
  alphaStd?: number;
  /** Standard deviation of the zero-mean normal beta_j draws. Default 1. */
  betaStd?: number;
  /** Explicit alpha_1..alpha_m instead of random ones; `betas` must match in length. */
  alphas?: readonly number[];
  betas?: readonly number[];
  /** Standard deviation of the label noise. Default 0.1 (variance 0.01). */
  noiseStd?: number;
  seed?: Seed;
}

export const MMOE_DEFAULTS = {
  inputDim: 100,
  scale: 1,
  sinusoids: 10,
  alphaStd: 1,
  betaStd: 1,
  noiseStd: 0.1,
  seed: 0,
} as const;

/** Everything fixed before the first row: the ground truth of the data set. */
export interface MmoeProblem {
  inputDim: number;
  correlation: number;
  scale: number;
  noiseStd: number;
  u1: Float64Array;
  u2: Float64Array;
  w1: Float64Array;
  w2: Float64Array;
  alphas: Float64Array;
  betas: Float64Array;
}

/** x0..x{d-1}, then the labels y1, y2, then the noise-free targets f1, f2. */
export function mmoeColumns(inputDim: number = MMOE_DEFAULTS.inputDim): string[] {
  return [...mmoeFeatureColumns(inputDim), "y1", "y2", "f1", "f2"];
}

export function mmoeFeatureColumns(inputDim: number = MMOE_DEFAULTS.inputDim): string[] {
  return Array.from({ length: inputDim }, (_, i) => `x${i}`);
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function normalize(v: Float64Array): Float64Array {
  const n = Math.sqrt(dot(v, v));
  for (let i = 0; i < v.length; i++) v[i]! /= n;
  return v;
}

function gaussianVector(rng: Rng, d: number): Float64Array {
  const v = new Float64Array(d);
  for (let i = 0; i < d; i++) v[i] = rng.normal();
  return v;
}

/** Two orthonormal vectors; the projection is applied twice, which makes them orthogonal to machine precision. */
function orthonormalPair(rng: Rng, d: number): [Float64Array, Float64Array] {
  const u1 = normalize(gaussianVector(rng, d));
  const u2 = gaussianVector(rng, d);
  for (let pass = 0; pass < 2; pass++) {
    const k = dot(u2, u1);
    for (let i = 0; i < d; i++) u2[i]! -= k * u1[i]!;
  }
  return [u1, normalize(u2)];
}

function checkOptions(opts: MmoeSyntheticOptions, inputDim: number): void {
  if (!Number.isInteger(opts.rows) || opts.rows < 0) throw new RangeError(`rows must be a non-negative integer, got ${opts.rows}`);
  if (!(Math.abs(opts.correlation) <= 1)) throw new RangeError(`correlation must be in [-1, 1], got ${opts.correlation}`);
  if (!Number.isInteger(inputDim) || inputDim < 2) throw new RangeError(`inputDim must be an integer >= 2, got ${inputDim}`);
  if ((opts.alphas === undefined) !== (opts.betas === undefined) || opts.alphas?.length !== opts.betas?.length) {
    throw new RangeError("alphas and betas must be given together, with equal lengths");
  }
}

/** The fixed parameters for these options: what `generateMmoe` draws its rows from. */
export function createMmoeProblem(opts: MmoeSyntheticOptions): MmoeProblem {
  const inputDim = opts.inputDim ?? MMOE_DEFAULTS.inputDim;
  checkOptions(opts, inputDim);
  const scale = opts.scale ?? MMOE_DEFAULTS.scale;
  const p = opts.correlation;
  const root = new Rng(opts.seed ?? MMOE_DEFAULTS.seed);

  const [u1, u2] = orthonormalPair(root.fork("mmoe/directions"), inputDim);
  const q = Math.sqrt(1 - p * p);
  const w1 = u1.map((v) => scale * v);
  const w2 = u1.map((v, i) => scale * (p * v + q * u2[i]!));

  let alphas: Float64Array;
  let betas: Float64Array;
  if (opts.alphas && opts.betas) {
    alphas = Float64Array.from(opts.alphas);
    betas = Float64Array.from(opts.betas);
  } else {
    const m = opts.sinusoids ?? MMOE_DEFAULTS.sinusoids;
    const alphaStd = opts.alphaStd ?? MMOE_DEFAULTS.alphaStd;
    const betaStd = opts.betaStd ?? MMOE_DEFAULTS.betaStd;
    // Separate streams: changing m keeps the first alphas, and alphaStd never moves the betas.
    const ra = root.fork("mmoe/alphas");
    const rb = root.fork("mmoe/betas");
    alphas = Float64Array.from({ length: m }, () => ra.normal(0, alphaStd));
    betas = Float64Array.from({ length: m }, () => rb.normal(0, betaStd));
  }

  return {
    inputDim,
    correlation: p,
    scale,
    noiseStd: opts.noiseStd ?? MMOE_DEFAULTS.noiseStd,
    u1,
    u2,
    w1,
    w2,
    alphas,
    betas,
  };
}

/** The noise-free target f(z) = z + sum_j sin(alpha_j z + beta_j) of a linear part z = w.x. */
export function mmoeTarget(problem: MmoeProblem, linear: number): number {
  let f = linear;
  for (let j = 0; j < problem.alphas.length; j++) f += Math.sin(problem.alphas[j]! * linear + problem.betas[j]!);
  return f;
}

/**
 * Rows x0..x{d-1}, y1, y2, f1, f2 (see `mmoeColumns`). The same options and
 * seed give the same rows; a longer run starts with the rows of a shorter one.
 */
export function* generateMmoe(opts: MmoeSyntheticOptions): Generator<Record<string, number>> {
  const problem = createMmoeProblem(opts);
  const names = mmoeFeatureColumns(problem.inputDim);
  const root = new Rng(opts.seed ?? MMOE_DEFAULTS.seed);
  const inputs = root.fork("mmoe/inputs");
  const noise = root.fork("mmoe/noise");
  const x = new Float64Array(problem.inputDim);

  for (let r = 0; r < opts.rows; r++) {
    const row: Record<string, number> = {};
    for (let i = 0; i < x.length; i++) {
      x[i] = inputs.normal();
      row[names[i]!] = x[i]!;
    }
    const f1 = mmoeTarget(problem, dot(problem.w1, x));
    const f2 = mmoeTarget(problem, dot(problem.w2, x));
    row["y1"] = f1 + noise.normal(0, problem.noiseStd);
    row["y2"] = f2 + noise.normal(0, problem.noiseStd);
    row["f1"] = f1;
    row["f2"] = f2;
    yield row;
  }
}

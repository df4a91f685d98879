import { test } from "node:test";
import assert from "node:assert/strict";
import {
  createMmoeProblem,
  generateMmoe,
  mmoeColumns,
  mmoeFeatureColumns,
  mmoeTarget,
  MMOE_DEFAULTS,
  type MmoeSyntheticOptions,
} from "../../../src/data/synthetic/mmoe.js";

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

function inputs(row: Record<string, number>, d: number): Float64Array {
  return Float64Array.from({ length: d }, (_, i) => row[`x${i}`]!);
}

test("defaults are the documented constants", () => {
  assert.deepEqual(MMOE_DEFAULTS, { inputDim: 100, scale: 1, sinusoids: 10, alphaStd: 1, betaStd: 1, noiseStd: 0.1, seed: 0 });
  const p = createMmoeProblem({ rows: 0, correlation: 0.5 });
  assert.equal(p.inputDim, 100);
  assert.equal(p.alphas.length, 10);
  assert.equal(p.noiseStd, 0.1);
});

test("rows have the documented columns, in order", () => {
  const [row] = generateMmoe({ rows: 1, correlation: 0.3, inputDim: 5 });
  assert.deepEqual(Object.keys(row!), ["x0", "x1", "x2", "x3", "x4", "y1", "y2", "f1", "f2"]);
  assert.deepEqual(mmoeColumns(5), Object.keys(row!));
  assert.equal(mmoeColumns().length, 104);
  assert.deepEqual(mmoeFeatureColumns(2), ["x0", "x1"]);
});

test("deterministic for a seed; a longer run extends a shorter one", () => {
  const opts: MmoeSyntheticOptions = { rows: 50, correlation: 0.7, inputDim: 10, seed: 17 };
  const a = [...generateMmoe(opts)];
  const b = [...generateMmoe(opts)];
  assert.deepEqual(a, b);
  assert.deepEqual([...generateMmoe({ ...opts, rows: 20 })], a.slice(0, 20));
  assert.notDeepEqual([...generateMmoe({ ...opts, seed: 18 })], a);
  assert.equal([...generateMmoe({ ...opts, rows: 0 })].length, 0);
});

test("u1 and u2 are orthonormal; w1, w2 have norm c and cosine p", () => {
  for (const seed of [0, 1, 2, "s"]) {
    for (const [d, c, p] of [
      [100, 1, 0.5],
      [2, 3, -0.2],
      [37, 0.5, 1],
    ] as const) {
      const pr = createMmoeProblem({ rows: 0, correlation: p, inputDim: d, scale: c, seed });
      assert.equal(pr.u1.length, d);
      assert.ok(Math.abs(dot(pr.u1, pr.u1) - 1) < 1e-12);
      assert.ok(Math.abs(dot(pr.u2, pr.u2) - 1) < 1e-12);
      assert.ok(Math.abs(dot(pr.u1, pr.u2)) < 1e-12, `u1.u2 = ${dot(pr.u1, pr.u2)}`);
      assert.ok(Math.abs(Math.sqrt(dot(pr.w1, pr.w1)) - c) < 1e-12);
      assert.ok(Math.abs(Math.sqrt(dot(pr.w2, pr.w2)) - c) < 1e-12);
      assert.ok(Math.abs(dot(pr.w1, pr.w2) / (c * c) - p) < 1e-12);
    }
  }
});

test("the linear parts w1.x and w2.x correlate p", () => {
  const n = 10000;
  for (const p of [1, 0.9, 0.5, 0]) {
    const pr = createMmoeProblem({ rows: n, correlation: p, seed: 3 });
    const z1 = new Float64Array(n);
    const z2 = new Float64Array(n);
    let r = 0;
    for (const row of generateMmoe({ rows: n, correlation: p, seed: 3 })) {
      const x = inputs(row, pr.inputDim);
      z1[r] = dot(pr.w1, x);
      z2[r] = dot(pr.w2, x);
      r++;
    }
    // The standard error of a sample correlation is about (1 - p^2) / sqrt(n) = 0.01 at most.
    const corr = pearson(z1, z2);
    assert.ok(Math.abs(corr - p) < 0.03, `p = ${p}: correlation ${corr}`);
  }
});

test("targets follow f(z) = z + sum sin(alpha z + beta), labels add noise of the set size", () => {
  const opts: MmoeSyntheticOptions = { rows: 20000, correlation: 0.4, inputDim: 20, noiseStd: 0.25, seed: 4 };
  const pr = createMmoeProblem(opts);
  let sq = 0;
  let mean = 0;
  let n = 0;
  for (const row of generateMmoe(opts)) {
    const x = inputs(row, 20);
    assert.ok(Math.abs(row["f1"]! - mmoeTarget(pr, dot(pr.w1, x))) < 1e-12);
    assert.ok(Math.abs(row["f2"]! - mmoeTarget(pr, dot(pr.w2, x))) < 1e-12);
    for (const e of [row["y1"]! - row["f1"]!, row["y2"]! - row["f2"]!]) {
      mean += e;
      sq += e * e;
      n++;
    }
  }
  assert.ok(Math.abs(mean / n) < 0.01);
  assert.ok(Math.abs(Math.sqrt(sq / n) - 0.25) < 0.005, `noise std ${Math.sqrt(sq / n)}`);
  assert.ok(Math.abs(mmoeTarget(pr, 0.3) - (0.3 + pr.alphas.reduce((s, a, j) => s + Math.sin(a * 0.3 + pr.betas[j]!), 0))) < 1e-12);
});

test("with one seed, runs over p share directions, sinusoids, inputs and noise", () => {
  const a = createMmoeProblem({ rows: 0, correlation: 0.9, seed: 5 });
  const b = createMmoeProblem({ rows: 0, correlation: 0.1, seed: 5, scale: 2 });
  assert.deepEqual(a.u1, b.u1);
  assert.deepEqual(a.u2, b.u2);
  assert.deepEqual(a.alphas, b.alphas);
  assert.deepEqual(a.betas, b.betas);
  assert.deepEqual(a.w1.map((v) => 2 * v), b.w1);
  const [ra] = generateMmoe({ rows: 1, correlation: 0.9, seed: 5 });
  const [rb] = generateMmoe({ rows: 1, correlation: 0.1, seed: 5 });
  assert.deepEqual(inputs(ra!, 100), inputs(rb!, 100));
  assert.ok(Math.abs(ra!["y1"]! - ra!["f1"]! - (rb!["y1"]! - rb!["f1"]!)) < 1e-12, "same noise draw");
});

test("sinusoid options: count, spread and explicit values", () => {
  const pr = createMmoeProblem({ rows: 0, correlation: 0, sinusoids: 3, alphaStd: 0, betaStd: 0 });
  assert.deepEqual(Array.from(pr.alphas), [0, 0, 0]);
  assert.deepEqual(Array.from(pr.betas), [0, 0, 0]);
  const explicit = createMmoeProblem({ rows: 0, correlation: 0, alphas: [1, 2], betas: [0.5, -0.5] });
  assert.deepEqual(Array.from(explicit.alphas), [1, 2]);
  assert.deepEqual(Array.from(explicit.betas), [0.5, -0.5]);
  assert.equal(mmoeTarget(explicit, 0), Math.sin(0.5) + Math.sin(-0.5));
  const none = createMmoeProblem({ rows: 0, correlation: 0, sinusoids: 0 });
  assert.equal(mmoeTarget(none, 1.25), 1.25);
  // More sinusoids keep the first ones.
  const five = createMmoeProblem({ rows: 0, correlation: 0, sinusoids: 5, seed: 1 });
  const ten = createMmoeProblem({ rows: 0, correlation: 0, sinusoids: 10, seed: 1 });
  assert.deepEqual(five.alphas, ten.alphas.subarray(0, 5));
});

test("rejects options that cannot describe the data set", () => {
  const bad: MmoeSyntheticOptions[] = [
    { rows: 1, correlation: 1.1 },
    { rows: 1, correlation: Number.NaN },
    { rows: -1, correlation: 0 },
    { rows: 1.5, correlation: 0 },
    { rows: 1, correlation: 0, inputDim: 1 },
    { rows: 1, correlation: 0, alphas: [1] },
    { rows: 1, correlation: 0, alphas: [1], betas: [1, 2] },
  ];
  for (const opts of bad) assert.throws(() => createMmoeProblem(opts), RangeError, JSON.stringify(opts));
  assert.throws(() => generateMmoe({ rows: 1, correlation: 2 }).next(), RangeError);
});

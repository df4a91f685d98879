import { test } from "node:test";
import assert from "node:assert/strict";
import { ZipfSampler } from "../../../src/data/synthetic/zipf.js";
import { Rng } from "../../../src/util/random.js";

test("probabilities are proportional to 1 / (k + 1)^s and sum to 1", () => {
  const z = new ZipfSampler(50, 1.2);
  let total = 0;
  for (let k = 0; k < 50; k++) total += z.probability(k);
  assert.ok(Math.abs(total - 1) < 1e-12);
  assert.ok(Math.abs(z.probability(0) / z.probability(3) - 4 ** 1.2) < 1e-9);
  const flat = new ZipfSampler(4, 0);
  for (let k = 0; k < 4; k++) assert.ok(Math.abs(flat.probability(k) - 0.25) < 1e-15);
});

test("draws follow the probabilities", () => {
  const z = new ZipfSampler(20, 1);
  const rng = new Rng(1);
  const n = 100000;
  const counts = new Array<number>(20).fill(0);
  for (let i = 0; i < n; i++) {
    const k = z.sample(rng);
    assert.ok(Number.isInteger(k) && k >= 0 && k < 20);
    counts[k]!++;
  }
  // Chi-square, 19 degrees of freedom; 43.8 is its 0.999 quantile.
  const chi2 = counts.reduce((s, c, k) => s + (c - n * z.probability(k)) ** 2 / (n * z.probability(k)), 0);
  assert.ok(chi2 < 43.8, `chi2 ${chi2}`);
  assert.equal(new ZipfSampler(1, 2).sample(rng), 0);
});

test("rejects impossible sizes and exponents", () => {
  assert.throws(() => new ZipfSampler(0, 1), RangeError);
  assert.throws(() => new ZipfSampler(2.5, 1), RangeError);
  assert.throws(() => new ZipfSampler(3, -1), RangeError);
  assert.throws(() => new ZipfSampler(3, Number.NaN), RangeError);
});

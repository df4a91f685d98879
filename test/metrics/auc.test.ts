import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { auc } from "../../src/metrics/auc.js";
import { Rng } from "../../src/util/random.js";

/** O(n^2) reference: the share of (positive, negative) pairs ordered right, ties counting 1/2. */
function bruteForceAuc(scores: ArrayLike<number>, labels: ArrayLike<number>, mask?: ArrayLike<number>): number {
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < scores.length; i++) {
    if (labels[i] !== 1 || (mask && mask[i] !== 1)) continue;
    for (let j = 0; j < scores.length; j++) {
      if (labels[j] !== 0 || (mask && mask[j] !== 1)) continue;
      pairs++;
      if (scores[i]! > scores[j]!) wins += 1;
      else if (scores[i] === scores[j]) wins += 0.5;
    }
  }
  return pairs === 0 ? NaN : wins / pairs;
}

function close(actual: number, expected: number, tol = 1e-12): void {
  assert.ok(Math.abs(actual - expected) <= tol, `${actual} != ${expected}`);
}

test("known cases: perfect, reversed, all tied, partial", () => {
  assert.equal(auc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1]), 1);
  assert.equal(auc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1]), 0);
  assert.equal(auc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1]), 0.5);
  // Pairs (pos, neg): (0.35, 0.1) win, (0.35, 0.4) loss, (0.8, 0.1) win, (0.8, 0.4) win.
  assert.equal(auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 0.75);
  // A tie between one positive and one of two negatives: (1 + 0.5) / 2.
  assert.equal(auc([0.3, 0.5, 0.5], [0, 0, 1]), 0.75);
});

test("NaN when only one class (or no row) is selected", () => {
  assert.ok(Number.isNaN(auc([0.1, 0.2], [1, 1])));
  assert.ok(Number.isNaN(auc([0.1, 0.2], [0, 0])));
  assert.ok(Number.isNaN(auc([], [])));
  assert.ok(Number.isNaN(auc([0.1, 0.2, 0.3], [0, 1, 1], [0, 1, 1])));
  assert.ok(Number.isNaN(auc([0.1, 0.2], [0, 1], [0, 0])));
});

test("masks keep only rows where mask == 1", () => {
  const s = [0.9, 0.1, 0.8, 0.2, 0.7];
  const y = [0, 1, 1, 0, 1];
  // Without the first row the ranking is perfect except (0.1 pos, 0.2 neg).
  assert.equal(auc(s, y, [0, 1, 1, 1, 1]), 2 / 3);
  assert.equal(auc(s, y, [1, 1, 1, 1, 1]), auc(s, y));
  assert.equal(auc(s, y, Float32Array.from([0, 0, 1, 1, 0])), 1);
  assert.throws(() => auc(s, y, [1, 1, 0.5, 1, 1]), RangeError);
  assert.throws(() => auc(s, y, [1, 1]), RangeError);
});

test("signed zeros and infinities are ordinary scores", () => {
  assert.equal(auc([-0, 0], [1, 0]), 0.5);
  assert.equal(auc([0, -0, 0, -0], [1, 1, 0, 0]), 0.5);
  assert.equal(auc([-Infinity, Infinity], [0, 1]), 1);
  assert.equal(auc([Infinity, Infinity, -Infinity], [0, 1, 0]), 0.75);
});

test("rejects bad input rather than guessing", () => {
  assert.throws(() => auc([0.1, 0.2], [0, 2]), RangeError);
  assert.throws(() => auc([0.1, 0.2], [0, 0.5]), RangeError);
  assert.throws(() => auc([0.1, Number.NaN], [0, 1]), RangeError);
  assert.throws(() => auc([0.1], [0, 1]), RangeError);
  // A NaN score on a masked-out row does not matter.
  assert.equal(auc([0.1, Number.NaN, 0.2], [0, 1, 1], [1, 0, 1]), 1);
});

test("matches the brute-force pairwise count on random data with many ties", () => {
  const row = fc.record({
    score: fc.integer({ min: 0, max: 5 }),
    label: fc.constantFrom(0, 1),
    mask: fc.constantFrom(0, 1, 1),
  });
  fc.assert(
    fc.property(fc.array(row, { maxLength: 80 }), fc.boolean(), (rows, useMask) => {
      const s = rows.map((r) => r.score / 4);
      const y = rows.map((r) => r.label);
      const m = useMask ? rows.map((r) => r.mask) : undefined;
      const expected = bruteForceAuc(s, y, m);
      const actual = auc(s, y, m);
      if (Number.isNaN(expected)) assert.ok(Number.isNaN(actual));
      else close(actual, expected);
    }),
    { numRuns: 500, seed: 20180819 },
  );
});

test("matches brute force on larger seeded samples, float and typed-array inputs", () => {
  const rng = new Rng("auc");
  for (let trial = 0; trial < 20; trial++) {
    const n = 200 + rng.int(600);
    const levels = 1 + rng.int(trial < 10 ? 10 : 1000);
    const s = new Float32Array(n);
    const y = new Uint8Array(n);
    const m = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      y[i] = rng.bernoulli(0.3);
      // Scores weakly informative, heavily tied when levels is small.
      s[i] = Math.floor((rng.next() + 0.3 * y[i]!) * levels) / levels;
      m[i] = rng.bernoulli(0.8);
    }
    close(auc(s, y), bruteForceAuc(s, y));
    close(auc(s, y, m), bruteForceAuc(s, y, m));
  }
});

test("is invariant under strictly increasing transforms of the scores", () => {
  const rng = new Rng(2);
  const s = Array.from({ length: 1000 }, () => rng.normal());
  const y = s.map((v) => (rng.next() < 1 / (1 + Math.exp(-2 * v)) ? 1 : 0));
  const base = auc(s, y);
  close(auc(s.map((v) => 1 / (1 + Math.exp(-v))), y), base);
  close(auc(s.map((v) => 3 * v - 7), y), base);
  close(auc(s.map((v) => -v), y), 1 - base);
});

test("agrees with the binormal closed form on a large sample", () => {
  // Positives ~ N(d, 1), negatives ~ N(0, 1): AUC = Phi(d / sqrt 2); Phi(1 / sqrt 2) = 0.76025.
  const rng = new Rng(3);
  const n = 200000;
  const s = new Float64Array(n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = rng.bernoulli(0.1);
    s[i] = rng.normal(y[i]!, 1);
  }
  const a = auc(s, y);
  assert.ok(Math.abs(a - 0.76025) < 0.005, `auc ${a}`);
});

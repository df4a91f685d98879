import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "../../src/util/random.js";

function moments(xs: ArrayLike<number>): { mean: number; variance: number; skew: number; kurtosis: number } {
  const n = xs.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += xs[i]!;
  mean /= n;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (let i = 0; i < n; i++) {
    const d = xs[i]! - mean;
    m2 += d * d;
    m3 += d * d * d;
    m4 += d * d * d * d;
  }
  m2 /= n;
  m3 /= n;
  m4 /= n;
  return { mean, variance: m2, skew: m3 / m2 ** 1.5, kurtosis: m4 / (m2 * m2) };
}

function draws(n: number, f: () => number): Float64Array {
  return Float64Array.from({ length: n }, f);
}

test("xoshiro128** matches the reference C implementation", () => {
  // Outputs of Blackman & Vigna's xoshiro128starstar.c from these states.
  const a = Rng.fromState([1, 2, 3, 4]);
  assert.deepEqual(
    Array.from({ length: 10 }, () => a.uint32()),
    [11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849, 3729100597, 4258142804],
  );
  const b = Rng.fromState([0xdeadbeef, 0x01234567, 0x89abcdef, 0xfeedface]);
  for (let i = 0; i < 1000; i++) b.uint32();
  assert.deepEqual(
    Array.from({ length: 5 }, () => b.uint32()),
    [1707479824, 2061232218, 3878689061, 1748604488, 1828721274],
  );
  assert.throws(() => Rng.fromState([0, 0, 0, 0]), RangeError);
});

test("seeded sequences are pinned, so a seed means the same data everywhere", () => {
  const r = new Rng(42);
  assert.deepEqual(
    Array.from({ length: 5 }, () => r.uint32()),
    [4036839574, 3105656726, 956910216, 260442637, 3752203708],
  );
  const s = new Rng("mtl");
  assert.deepEqual(
    Array.from({ length: 3 }, () => s.next()),
    [0.5904743379616888, 0.3744325163073594, 0.8719725085255969],
  );
  const f = new Rng(42).fork("a");
  assert.deepEqual(
    Array.from({ length: 3 }, () => f.uint32()),
    [1226228807, 3093787146, 4026085888],
  );
  const n = new Rng(7);
  assert.deepEqual(
    Array.from({ length: 4 }, () => n.normal()),
    [0.6626874923066439, -0.13321692315211434, 1.1879410222582818, 0.867024338707053],
  );
});

test("same seed gives the same sequence; different seeds differ", () => {
  const seq = (seed: number | string) => {
    const r = new Rng(seed);
    return Array.from({ length: 20 }, () => r.uint32());
  };
  assert.deepEqual(seq(123), seq(123));
  assert.deepEqual(seq("abc"), seq("abc"));
  assert.notDeepEqual(seq(0), seq(1));
  assert.notDeepEqual(seq(1), seq(-1));
  assert.notDeepEqual(seq(1), seq("1"));
  assert.notDeepEqual(seq(2 ** 32), seq(0));
  assert.equal(new Rng().uint32(), new Rng(0).uint32(), "the default seed is 0");
  assert.throws(() => new Rng(1.5), RangeError);
  assert.throws(() => new Rng(Number.NaN), RangeError);
  assert.throws(() => new Rng(2 ** 60), RangeError);
});

test("fork depends on the seed and label only, not on draws made before", () => {
  const a = new Rng(9);
  const b = new Rng(9);
  for (let i = 0; i < 17; i++) b.next();
  b.normal();
  const fa = a.fork("x");
  const fb = b.fork("x");
  assert.deepEqual(
    Array.from({ length: 10 }, () => fa.uint32()),
    Array.from({ length: 10 }, () => fb.uint32()),
  );
  const g1 = new Rng(9).fork("x").fork("y");
  const g2 = new Rng(9).fork("x").fork("y");
  assert.equal(g1.uint32(), g2.uint32());
  assert.notEqual(new Rng(9).fork("x").uint32(), new Rng(9).fork("y").uint32());
  assert.notEqual(new Rng(9).fork("x").uint32(), new Rng(10).fork("x").uint32());
  assert.notEqual(new Rng(9).fork(1).uint32(), new Rng(9).fork("1").uint32());
  // The parent's own stream is not disturbed by forking.
  const p = new Rng(5);
  const q = new Rng(5);
  p.fork("z").uint32();
  assert.equal(p.uint32(), q.uint32());
});

test("forked streams are uncorrelated with each other and their parent", () => {
  const root = new Rng(1);
  const a = root.fork("a");
  const b = root.fork("b");
  const n = 20000;
  const xs = draws(n, () => a.next());
  const ys = draws(n, () => b.next());
  const zs = draws(n, () => root.next());
  const corr = (u: Float64Array, v: Float64Array) => {
    const m = u.length;
    let su = 0;
    let sv = 0;
    let suv = 0;
    let suu = 0;
    let svv = 0;
    for (let i = 0; i < m; i++) {
      su += u[i]!;
      sv += v[i]!;
      suv += u[i]! * v[i]!;
      suu += u[i]! ** 2;
      svv += v[i]! ** 2;
    }
    const cov = suv / m - (su / m) * (sv / m);
    return cov / Math.sqrt((suu / m - (su / m) ** 2) * (svv / m - (sv / m) ** 2));
  };
  // 4 standard errors of a correlation estimate from 20000 pairs.
  assert.ok(Math.abs(corr(xs, ys)) < 0.03);
  assert.ok(Math.abs(corr(xs, zs)) < 0.03);
  assert.ok(Math.abs(corr(xs.subarray(1), xs.subarray(0, n - 1))) < 0.03, "lag-1 autocorrelation");
});

test("next() is uniform on [0, 1)", () => {
  const r = new Rng(3);
  const xs = draws(100000, () => r.next());
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  const m = moments(xs);
  assert.ok(Math.abs(m.mean - 0.5) < 0.005, `mean ${m.mean}`);
  assert.ok(Math.abs(m.variance - 1 / 12) < 0.002, `variance ${m.variance}`);
  // Deciles: chi-square with 9 degrees of freedom; 27.9 is its 0.999 quantile.
  const counts = new Array<number>(10).fill(0);
  for (const x of xs) counts[Math.floor(x * 10)]!++;
  const chi2 = counts.reduce((s, c) => s + (c - 10000) ** 2 / 10000, 0);
  assert.ok(chi2 < 27.9, `chi2 ${chi2}`);
  const u = new Rng(3);
  assert.ok(draws(1000, () => u.uniform(-2, 5)).every((x) => x >= -2 && x < 5));
});

test("int(n) is uniform on 0..n-1 and validates n", () => {
  const r = new Rng(4);
  const counts = new Array<number>(7).fill(0);
  for (let i = 0; i < 70000; i++) {
    const k = r.int(7);
    assert.ok(Number.isInteger(k) && k >= 0 && k < 7);
    counts[k]!++;
  }
  // Chi-square, 6 degrees of freedom; 22.5 is its 0.999 quantile.
  const chi2 = counts.reduce((s, c) => s + (c - 10000) ** 2 / 10000, 0);
  assert.ok(chi2 < 22.5, `chi2 ${chi2}`);
  assert.equal(r.int(1), 0);
  for (const n of [2 ** 32, 2 ** 32 + 1, 3 * 2 ** 40, 2 ** 53]) {
    for (let i = 0; i < 100; i++) {
      const k = r.int(n);
      assert.ok(Number.isInteger(k) && k >= 0 && k < n, `${k} out of [0, ${n})`);
    }
  }
  // A large n must still reach its upper half.
  assert.ok(draws(100, () => r.int(3 * 2 ** 40)).some((k) => k > 1.5 * 2 ** 40));
  for (const bad of [0, -1, 1.5, Number.NaN, 2 ** 53 + 2]) assert.throws(() => r.int(bad), RangeError);
});

test("normal() has the moments and shape of N(mean, std^2)", () => {
  const r = new Rng(5);
  const xs = draws(200000, () => r.normal());
  const m = moments(xs);
  assert.ok(Math.abs(m.mean) < 0.01, `mean ${m.mean}`);
  assert.ok(Math.abs(m.variance - 1) < 0.015, `variance ${m.variance}`);
  assert.ok(Math.abs(m.skew) < 0.03, `skew ${m.skew}`);
  assert.ok(Math.abs(m.kurtosis - 3) < 0.08, `kurtosis ${m.kurtosis}`);
  const within1 = xs.filter((x) => Math.abs(x) < 1).length / xs.length;
  const within2 = xs.filter((x) => Math.abs(x) < 2).length / xs.length;
  assert.ok(Math.abs(within1 - 0.6827) < 0.005, `P(|z|<1) ${within1}`);
  assert.ok(Math.abs(within2 - 0.9545) < 0.003, `P(|z|<2) ${within2}`);
  const s = new Rng(6);
  const ys = moments(draws(100000, () => s.normal(10, 3)));
  assert.ok(Math.abs(ys.mean - 10) < 0.05 && Math.abs(Math.sqrt(ys.variance) - 3) < 0.05);
});

test("bernoulli(p) has rate p", () => {
  const r = new Rng(8);
  let ones = 0;
  for (let i = 0; i < 100000; i++) ones += r.bernoulli(0.04);
  assert.ok(Math.abs(ones / 100000 - 0.04) < 0.003, `rate ${ones / 100000}`);
  assert.equal(r.bernoulli(0), 0);
  assert.equal(r.bernoulli(1), 1);
});

test("shuffle is an in-place, deterministic, uniform permutation", () => {
  const r = new Rng(11);
  const xs = Array.from({ length: 50 }, (_, i) => i);
  const out = r.shuffle(xs);
  assert.equal(out, xs);
  assert.deepEqual([...xs].sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i));
  assert.deepEqual(new Rng(11).shuffle(Array.from({ length: 50 }, (_, i) => i)), xs);

  const typed = new Rng(12).shuffle(Float32Array.from([1, 2, 3, 4, 5]));
  assert.ok(typed instanceof Float32Array);
  assert.deepEqual(Array.from(typed).sort(), [1, 2, 3, 4, 5]);

  const perms = new Map<string, number>();
  const s = new Rng(13);
  for (let i = 0; i < 60000; i++) {
    const key = s.shuffle(["a", "b", "c"]).join("");
    perms.set(key, (perms.get(key) ?? 0) + 1);
  }
  assert.equal(perms.size, 6);
  // Chi-square, 5 degrees of freedom; 20.5 is its 0.999 quantile.
  const chi2 = [...perms.values()].reduce((sum, c) => sum + (c - 10000) ** 2 / 10000, 0);
  assert.ok(chi2 < 20.5, `chi2 ${chi2}`);
  assert.deepEqual(new Rng(1).shuffle([]), []);
});

test("pick chooses every element and rejects an empty list", () => {
  const r = new Rng(14);
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) seen.add(r.pick(["x", "y", "z"]));
  assert.deepEqual([...seen].sort(), ["x", "y", "z"]);
  assert.throws(() => r.pick([]), RangeError);
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { createEncoder, fitEncoding } from "../../../src/data/encode/index.js";
import type { NumericFeatureIR } from "../../../src/ir/types.js";
import type { RawRecord, RawValue } from "../../../src/data/record.js";
import fc from "fast-check";
import { parseDecimal, parseNumber } from "../../../src/data/encode/numeric.js";
import { catchDataError, model, numericFeature, records } from "./fixtures.js";

async function fitAndEncode(options: Partial<NumericFeatureIR>, train: RawValue[], encode: RawValue[] = train) {
  const ir = model([numericFeature("x", options)]);
  const state = await fitEncoding(ir, records(train.map((x) => ({ x }))), "train.csv");
  const out = createEncoder(ir, state).encodeBatch(records(encode.map((x) => ({ x }))), "test.csv").features.x!;
  assert.ok(out instanceof Float32Array);
  return { stats: state.features.x!, out: [...out] };
}

function assertClose(actual: number[], expected: number[], tolerance = 1e-6) {
  assert.equal(actual.length, expected.length);
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]!) <= tolerance, `[${i}] ${a} vs ${expected[i]}`));
}

test("numbers parse from trimmed or padded decimal text and from JSON numbers", async () => {
  const { out } = await fitAndEncode({}, [" 3.5 ", "3.5", 3.5, "-2", "+2", "1e3", "-.5", "5.", "0", true, false]);
  assert.deepEqual(out, [3.5, 3.5, 3.5, -2, 2, 1000, -0.5, 5, 0, 1, 0]);
});

test("the fast decimal parser agrees with Number() bit for bit", () => {
  const decimal = fc
    .tuple(fc.boolean(), fc.stringMatching(/^[0-9]{1,9}$/), fc.option(fc.stringMatching(/^[0-9]{0,8}$/)))
    .map(([negative, whole, fraction]) => `${negative ? "-" : ""}${whole}${fraction === null ? "" : `.${fraction}`}`);
  fc.assert(
    fc.property(decimal, (text) => {
      assert.ok(Object.is(parseNumber(text, "x", "x", true), Number(text)), text);
    }),
    { numRuns: 5000 },
  );
  for (const text of ["0.1", "0.3", "123456789012345", "-0", "5.", ".5", "-.5", "0.000000000000001", "1234567890123456"]) {
    assert.ok(Object.is(parseNumber(text, "x", "x", true), Number(text)), text);
  }
  for (const text of ["", "-", ".", "1.2.3", "1e", "1e+", "0x1F", "0b1", "Infinity", "NaN", "1 2", "--1", "1_000", "e5", "١"]) {
    assert.ok(Number.isNaN(parseDecimal(text)), text);
  }
});

test("the decimal parser accepts exactly what the plain-decimal pattern does, with Number()'s value", () => {
  // The rule the parser replaced: a regular expression, then Number().
  const pattern = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;
  const piece = fc.constantFrom("0", "1", "7", "9", ".", "-", "+", "e", "E", " ", "\t", "\u00a0", "\u2003", "x", "12345678901234567", "0000");
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 8 }).map((p) => p.join("")), (text) => {
      const expected = pattern.test(text) ? Number(text) : NaN;
      assert.ok(Object.is(parseDecimal(text), expected), JSON.stringify(text));
    }),
    { numRuns: 20000 },
  );
  for (const text of ["-0.43347707722704987", "1.2331980616663418", "0.1e1", " -3.25 ", "\u00a05\u2003"]) assert.ok(Object.is(parseDecimal(text), Number(text)), text);
});

test("the largest float32 is accepted; one step beyond is not", async () => {
  const { out } = await fitAndEncode({}, ["3.4028234663852886e38", -3.4028234663852886e38]);
  assert.deepEqual(out, [3.4028234663852886e38, -3.4028234663852886e38]);
  const ir = model([numericFeature("x")]);
  for (const x of ["3.5e38", -1e39, "1e400"]) {
    const error = catchDataError(() => createEncoder(ir, { version: 1, rows: 0, features: { x: zeroStats() } }).encodeBatch(records([{ x }]), "t.csv"));
    assert.match(error.message, /32-bit float/);
  }
});

test("a value that fits float32 raw but overflows once normalized is a bad value, not an infinite input", async () => {
  const ir = model([numericFeature("x", { normalize: "zscore" })]);
  const state = await fitEncoding(ir, records([{ x: 0 }, { x: 0.01 }, { x: 0.02 }]), "train.csv");
  const encoder = createEncoder(ir, state);
  const error = catchDataError(() => encoder.encodeBatch(records([{ x: 1 }, { x: "3e38" }]), "t.csv"));
  assert.equal(error.line, 3, "the second record, below the header");
  assert.equal(error.field, "x");
  assert.match(error.message, /^feature 'x': 3e\+38 is beyond the 32-bit float range once normalized \(zscore: minus 0\.01, divided by 0\.008/);
  assert.ok(encoder.encodeBatch(records([{ x: 1e30 }]), "t.csv").features.x!.every(Number.isFinite));
});

test("zscore: mean fill before the transform, statistics over all rows, population std", async () => {
  // Present 1, 3, 7: raw mean 11/3 fills the missing row. Filled column 1, 3, 11/3, 7:
  // mean 11/3, variance ((8/3)^2 + (2/3)^2 + 0 + (10/3)^2) / 4 = 14/3.
  const { stats, out } = await fitAndEncode({ fill: "mean", normalize: "zscore" }, [1, "3", null, 7]);
  assert.equal(stats.present, 3);
  assert.equal(stats.missing, 1);
  assertClose([stats.fillValue, stats.mean, stats.std, stats.min, stats.max], [11 / 3, 11 / 3, Math.sqrt(14 / 3), 1, 7], 1e-12);
  const std = Math.sqrt(14 / 3);
  assert.deepEqual(out, [1, 3, 11 / 3, 7].map((x) => Math.fround((x - 11 / 3) / std)));
});

test("log1p then minmax, zero fill", async () => {
  // log1p: 0 -> 0, e-1 -> 1, missing -> 0 -> 0, e^2-1 -> 2; minmax over [0, 2].
  const { stats, out } = await fitAndEncode({ transform: "log1p", normalize: "minmax" }, [0, Math.E - 1, null, Math.E ** 2 - 1]);
  assertClose([stats.fillValue, stats.min, stats.max], [0, 0, 2], 1e-12);
  assertClose(out, [0, 0.5, 0, 1]);
});

test("sqrt then zscore", async () => {
  // sqrt: 2, 4, 0; mean 2, variance 8/3.
  const { stats, out } = await fitAndEncode({ transform: "sqrt", normalize: "zscore" }, ["4", "16", "0"]);
  assertClose([stats.mean, stats.std], [2, Math.sqrt(8 / 3)], 1e-12);
  const s = Math.sqrt(8 / 3);
  assert.deepEqual(out, [0, 2 / s, -2 / s].map(Math.fround));
});

test("log1p with mean fill fills with the raw mean, then transforms it", async () => {
  const { stats, out } = await fitAndEncode({ transform: "log1p", fill: "mean" }, [1, 3, null]);
  assert.equal(stats.fillValue, 2);
  assertClose([stats.mean], [(Math.log1p(1) + Math.log1p(3) + Math.log1p(2)) / 3], 1e-12);
  assert.deepEqual(out, [Math.log1p(1), Math.log1p(3), Math.log1p(2)].map(Math.fround));
});

test("statistics come from training data only and apply unchanged to new data", async () => {
  const { out } = await fitAndEncode({ normalize: "minmax" }, [10, 20], [15, 30, 0, null]);
  // Zero fill: a missing value is 0 before normalizing, and the training set had no missing rows.
  assert.deepEqual(out, [0.5, 2, -1, -1]);
});

test("a constant column: zero std and zero range count as 1", async () => {
  const z = await fitAndEncode({ normalize: "zscore" }, [5, 5, 5], [5, 6]);
  assert.equal(z.stats.std, 0);
  assert.deepEqual(z.out, [0, 1]);
  const m = await fitAndEncode({ normalize: "minmax" }, [5, 5], [5, 7]);
  assert.deepEqual(m.out, [0, 2]);
});

test("an all-missing column fills with 0 and stays finite", async () => {
  const { stats, out } = await fitAndEncode({ fill: "mean", normalize: "zscore" }, [null, null]);
  assert.deepEqual([stats.fillValue, stats.mean, stats.std, stats.min, stats.max], [0, 0, 0, 0, 0]);
  assert.deepEqual(out, [0, 0]);
});

test("Welford keeps precision on large values with a small spread", async () => {
  const { stats } = await fitAndEncode({ normalize: "zscore" }, [1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16]);
  assert.equal(stats.mean, 1e9 + 10);
  assert.ok(Math.abs(stats.std - Math.sqrt(22.5)) < 1e-9, `${stats.std}`);
});

test("fitting streams an async iterable and counts the rows", async () => {
  const ir = model([numericFeature("x", { normalize: "zscore" })]);
  async function* rows(): AsyncGenerator<RawRecord> {
    for (let i = 1; i <= 100; i++) yield { line: i, fields: { x: String(i) } };
  }
  const state = await fitEncoding(ir, rows(), "train.jsonl");
  assert.equal(state.rows, 100);
  assert.equal(state.features.x!.mean, 50.5);
  assert.ok(Math.abs(state.features.x!.std - Math.sqrt((100 * 100 - 1) / 12)) < 1e-9);
});

function zeroStats() {
  return {
    kind: "numeric" as const,
    column: "x",
    transform: "none" as const,
    fill: "zero" as const,
    normalize: "none" as const,
    present: 0,
    missing: 0,
    fillValue: 0,
    mean: 0,
    std: 0,
    min: 0,
    max: 0,
  };
}

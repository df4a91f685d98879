import assert from "node:assert/strict";
import { test } from "node:test";
import { createEncoder, fitEncoding } from "../../../src/data/encode/index.js";
import { catchDataError, hashFeature, model, numericFeature, records } from "./fixtures.js";

const FEATURES = [
  numericFeature("a", { transform: "log1p", normalize: "zscore" }),
  hashFeature("u", 50),
  numericFeature("b", { normalize: "minmax", fill: "zero" }),
  numericFeature("c", { fill: "mean" }),
];
const ROWS = records([
  { a: "1", u: "x", b: "3", c: "-1" },
  { a: "4", u: "y", b: null, c: "2" },
  { a: null, u: "z", b: "7", c: null },
]);

test("a numeric block is one row-major array of its features' values, exactly as each encodes on its own", async () => {
  const separate = model(FEATURES);
  const blocked = model(FEATURES, [], { numericBlocks: true });
  assert.deepEqual(blocked.numericBlocks, [{ name: "input_numeric", features: ["b", "c"] }]);
  const state = await fitEncoding(separate, ROWS, "train.csv");
  assert.deepEqual(await fitEncoding(blocked, ROWS, "train.csv"), state, "the statistics do not depend on the blocks");

  const one = createEncoder(separate, state).encodeBatch(ROWS, "train.csv");
  const encoder = createEncoder(blocked, state);
  assert.deepEqual(
    encoder.layout.map((l) => [l.name, l.dtype, l.length]),
    [
      ["a", "float32", 1],
      ["u", "int32", 1],
      ["input_numeric", "float32", 2],
    ],
  );
  const together = encoder.encodeBatch(ROWS, "train.csv");
  assert.deepEqual(Object.keys(together.features), ["a", "u", "input_numeric"]);
  const block = together.features["input_numeric"]!;
  assert.ok(block instanceof Float32Array);
  const b = one.features["b"]!;
  const c = one.features["c"]!;
  assert.deepEqual([...block], [b[0], c[0], b[1], c[1], b[2], c[2]]);
  assert.deepEqual(together.features["a"], one.features["a"]);
  assert.deepEqual(together.features["u"], one.features["u"]);
});

test("in a block a row's first bad field is reported, as without blocks, and a skipped row leaves no trace", async () => {
  const blocked = model(FEATURES, [], { numericBlocks: true });
  const state = await fitEncoding(blocked, ROWS, "train.csv");
  const bad = records([{ a: "1", u: "x", b: "many", c: "lots" }]);
  const expected = catchDataError(() => createEncoder(model(FEATURES), state).encodeBatch(bad, "test.csv"));
  const error = catchDataError(() => createEncoder(blocked, state).encodeBatch(bad, "test.csv"));
  assert.equal(error.message, expected.message);
  assert.match(error.message, /'b'/);

  const mixed = records([{ a: "1", u: "x", b: "3", c: "-1" }, { a: "1", u: "x", b: "oops", c: "5" }, { a: "4", u: "y", b: "5", c: "2" }]);
  const skipped: string[] = [];
  const out = createEncoder(blocked, state).encodeBatch(mixed, "test.csv", { onBadRow: (e) => skipped.push(e.message) });
  assert.equal(out.size, 2);
  assert.equal(skipped.length, 1);
  const good = createEncoder(blocked, state).encodeBatch(records([{ a: "1", u: "x", b: "3", c: "-1" }, { a: "4", u: "y", b: "5", c: "2" }]), "test.csv");
  assert.deepEqual(out.features["input_numeric"], good.features["input_numeric"]);
  assert.equal(out.features["input_numeric"]!.length, 4);
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { createEncoder, fitEncoding, hashBucket, HASH_SEED } from "../../../src/data/encode/index.js";
import { murmur3String } from "../../../src/portable/hash.js";
import { hashFeature, model, records, vocabFeature } from "./fixtures.js";
import { assertValidIr } from "../../../src/ir/validate.js";

async function encodeOne(ir: ReturnType<typeof model>, rows: Parameters<typeof records>[0]) {
  const data = records(rows);
  const encoder = createEncoder(ir, await fitEncoding(ir, data, "train.csv"));
  return encoder.encodeBatch(data, "train.csv");
}

test("hash ids are pinned: a saved model's embedding rows must never move", () => {
  assert.equal(HASH_SEED, 0);
  // mmh3.hash("foo", 0, signed=False) == 4138058784
  assert.equal(hashBucket("foo", 1000), 4138058784 % 1000);
  assert.equal(hashBucket("foo", 1000), 784);
  assert.equal(hashBucket("68fd1e64", 1_000_000), murmur3String("68fd1e64", 0) % 1_000_000);
});

test("hash encoding: a number and its string hash alike, booleans as their text", async () => {
  const ir = model([hashFeature("c", 97)]);
  const batch = await encodeOne(ir, [{ c: 42 }, { c: "42" }, { c: true }, { c: "true" }, { c: 3.5 }, { c: "3.5" }]);
  const ids = batch.features.c!;
  assert.ok(ids instanceof Int32Array);
  assert.deepEqual([...ids], [
    hashBucket("42", 97),
    hashBucket("42", 97),
    hashBucket("true", 97),
    hashBucket("true", 97),
    hashBucket("3.5", 97),
    hashBucket("3.5", 97),
  ]);
});

test("hash encoding keeps values apart that differ only in blanks or case", async () => {
  const ir = model([hashFeature("c", 1 << 20)]);
  const batch = await encodeOne(ir, [{ c: "abc" }, { c: " abc" }, { c: "ABC" }]);
  const [a, b, c] = batch.features.c!;
  assert.notEqual(a, b);
  assert.notEqual(a, c);
});

test("a missing hashed value takes the bucket of the empty string, bucket 0", async () => {
  const ir = model([hashFeature("c", 50)]);
  const batch = await encodeOne(ir, [{ c: null }, {}, { c: "" }]);
  assert.equal(hashBucket("", 50), 0);
  assert.deepEqual([...batch.features.c!], [0, 0, 0]);
});

test("hash ids are always inside the table", async () => {
  const ir = model([hashFeature("c", 7)]);
  const rows = Array.from({ length: 500 }, (_, i) => ({ c: `v${i}` }));
  const ids = (await encodeOne(ir, rows)).features.c!;
  assert.ok([...ids].every((id) => id >= 0 && id < 7));
  assert.equal(new Set(ids).size, 7);
});

test("vocabulary encoding: vocab[i] is row i+1, unknown and missing are row 0", async () => {
  const ir = model([vocabFeature("color", ["red", "green", "42"])]);
  assert.equal(ir.tables[0]!.rows, 4);
  const batch = await encodeOne(ir, [
    { color: "red" },
    { color: "green" },
    { color: "blue" },
    { color: null },
    { color: 42 },
    { color: "Red" },
  ]);
  assert.deepEqual([...batch.features.color!], [1, 2, 0, 0, 3, 0]);
});

test("an IR whose table does not match the encoding is refused by the gate, before any encoder sees it", () => {
  const ir = model([vocabFeature("color", ["red"])]);
  assert.throws(() => assertValidIr({ ...ir, tables: [{ ...ir.tables[0]!, rows: 1 }] }), /\/tables\/0\/rows: table 'color_table' has 1 rows, but feature 'color' produces ids in \[0, 2\)/);
});

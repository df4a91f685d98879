import { test } from "node:test";
import assert from "node:assert/strict";
import { createEncoder, fitEncoding, hashBucket } from "../../../src/data/encode/index.js";
import type { RawValue } from "../../../src/data/record.js";
import { hashFeature, model, records, sequenceFeature, vocabFeature } from "./fixtures.js";

const item = vocabFeature("item", ["a", "b", "c", "d", "e"]);
const ids = { a: 1, b: 2, c: 3, d: 4, e: 5 } as const;

async function encodeHistory(values: RawValue[], maxLen = 3, sep = "|") {
  const ir = model([item, sequenceFeature("history", item, maxLen, sep)]);
  const data = records(values.map((history) => ({ item: "a", history })));
  const encoder = createEncoder(ir, await fitEncoding(ir, data, "train.csv"));
  return encoder.encodeBatch(data, "train.csv").features.history!;
}

test("a sequence keeps its last maxLen items in order and pads on the right with -1", async () => {
  const out = await encodeHistory(["a|b|c|d|e", "a|b", "c"]);
  assert.ok(out instanceof Int32Array);
  assert.equal(out.length, 9);
  assert.deepEqual([...out], [ids.c, ids.d, ids.e, ids.a, ids.b, -1, ids.c, -1, -1]);
});

test("a missing or empty sequence is all padding; empty items are dropped", async () => {
  const out = await encodeHistory([null, "", "|", "a||b|", "|c"]);
  assert.deepEqual([...out], [-1, -1, -1, -1, -1, -1, -1, -1, -1, ids.a, ids.b, -1, ids.c, -1, -1]);
});

test("sequence items share the encoding of the feature they are of, OOV included", async () => {
  const out = await encodeHistory(["a|zzz|e"]);
  assert.deepEqual([...out], [ids.a, 0, ids.e]);

  const hashed = hashFeature("user", 1000);
  const ir = model([hashed, sequenceFeature("friends", hashed, 2, ",")]);
  const data = records([{ user: "x", friends: "x,42" }, { user: "42", friends: [42] as unknown as RawValue }]);
  const batch = createEncoder(ir, await fitEncoding(ir, data, "f.csv")).encodeBatch(data, "f.csv");
  const user = batch.features.user!;
  const friends = batch.features.friends!;
  assert.deepEqual([...friends], [user[0], user[1], user[1], -1]);
  assert.equal(user[1], hashBucket("42", 1000));
});

test("JSONL arrays are sequences: truncated from the front, null items skipped", async () => {
  const out = await encodeHistory([["a", "b", null, "c", "d"] as unknown as RawValue, [] as unknown as RawValue]);
  assert.deepEqual([...out], [ids.b, ids.c, ids.d, -1, -1, -1]);
});

test("a separator is one character: the gate refuses an IR with a longer one before any encoder sees it", () => {
  // The option table allows one character (`sep`), so lowering never writes more.
  assert.throws(() => model([item, sequenceFeature("history", item, 2, "::")]), /\/features\/1\/sep: must NOT have more than 1 characters/);
});

test("long histories only cost their recent end and still come out right", async () => {
  const long = Array.from({ length: 10_000 }, (_, i) => "abcde"[i % 5]).join("|");
  const out = await encodeHistory([long], 4);
  // Items 9996..9999 are indices 1, 2, 3, 4 mod 5: b c d e.
  assert.deepEqual([...out], [ids.b, ids.c, ids.d, ids.e]);
});

test("a sequence whose table differs from its item feature's is refused by the gate", () => {
  const seq = sequenceFeature("history", item, 3);
  seq.table = "other";
  assert.throws(() => model([item, seq]), /\/features\/1\/table: table 'other' is not declared/);
});

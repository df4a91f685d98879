import assert from "node:assert/strict";
import { test } from "node:test";
import { encodeSequence, normalization, PAD_ID, transformValue, vocabularyIds } from "../../src/portable/encoding.js";

const ids = (value: Parameters<typeof encodeSequence>[0], sep: string, maxLen: number) => {
  const out = new Int32Array(maxLen + 2).fill(99);
  encodeSequence(value, sep, maxLen, (item) => Number(item), out, 1);
  return Array.from(out);
};

test("a sequence keeps its last maxLen non-empty items in order and pads the rest, leaving the rest of the array alone", () => {
  assert.deepEqual(ids("1|2|3|4", "|", 3), [99, 2, 3, 4, 99]);
  assert.deepEqual(ids("|1||2|", "|", 3), [99, 1, 2, PAD_ID, 99], "empty items carry no item");
  assert.deepEqual(ids("1||||2", "||", 3), [99, 1, 2, PAD_ID, 99], "a separator of several characters splits forwards");
  assert.deepEqual(ids(["5", null, "", 6, "7"], "|", 2), [99, 6, 7, 99], "an array's items, nulls and empties dropped");
  assert.deepEqual(ids(null, "|", 2), [99, PAD_ID, PAD_ID, 99]);
  assert.deepEqual(ids("", "|", 1), [99, PAD_ID, 99]);
});

test("normalization: zscore and minmax from the statistics, a constant column counts as scale 1", () => {
  const stats = { fillValue: 0, mean: 2, std: 4, min: -1, max: 3 };
  assert.deepEqual(normalization("none", stats), { center: 0, scale: 1 });
  assert.deepEqual(normalization("zscore", stats), { center: 2, scale: 4 });
  assert.deepEqual(normalization("minmax", stats), { center: -1, scale: 4 });
  assert.deepEqual(normalization("zscore", { ...stats, std: 0 }), { center: 2, scale: 1 });
  assert.deepEqual(normalization("minmax", { ...stats, min: 3 }), { center: 3, scale: 1 });
});

test("transforms are NaN outside their domain; a repeated vocabulary entry keeps its first row", () => {
  assert.equal(transformValue("log1p", 0), 0);
  assert.ok(Number.isNaN(transformValue("log1p", -1)));
  assert.ok(Number.isNaN(transformValue("sqrt", -0.5)));
  assert.equal(transformValue("sqrt", 9), 3);
  assert.deepEqual([...vocabularyIds(["a", "b", "a"])], [["a", 1], ["b", 2]]);
});

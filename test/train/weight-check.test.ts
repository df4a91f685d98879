import assert from "node:assert/strict";
import { test } from "node:test";
import { compileSource } from "../../src/compiler.js";
import type { EncodedBatch } from "../../src/data/encode/index.js";
import { DataError } from "../../src/data/record.js";
import { checkSampleWeights } from "../../src/train/weight-check.js";

const SPEC = `model m
feature x : numeric()
input i = concat(*)
tower a = mlp(i, [4])
task ctr : binary = a label click sample_weight w
task cvr : binary = a label buy where click sample_weight w
`;
const ir = compileSource(SPEC, "m.mtl").ir!;

/** Batches holding only what the check reads: each task's mask (its weights). */
function batches(ctr: number[][], cvr: number[][]): { batch: EncodedBatch }[] {
  return ctr.map((c, k) => ({ batch: { size: c.length, features: {}, labels: {}, masks: { ctr: Float32Array.from(c), cvr: Float32Array.from(cvr[k]!) } } }));
}

test("weights that are 0 on every row a task trains on are an error naming the task, the column and the file", () => {
  assert.doesNotThrow(() => checkSampleWeights(ir, batches([[0, 0], [0, 0.5]], [[0, 0], [0, 1]]), "train.csv"));
  assert.throws(
    () => checkSampleWeights(ir, batches([[0, 0], [0, 0.5]], [[0, 0], [0, 0]]), "train.csv"),
    (e: unknown) =>
      e instanceof DataError &&
      e.file === "train.csv" &&
      e.field === "w" &&
      /task 'cvr': sample weight column 'w' is 0 on every training row where 'click' selects it, so the task would learn nothing/.test(e.message) &&
      /names the column of row weights/.test(e.hint ?? ""),
  );
  assert.throws(() => checkSampleWeights(ir, batches([[0], [0]], [[1], [1]]), "t.csv"), /task 'ctr': sample weight column 'w' is 0 on every training row,/);
});

import assert from "node:assert/strict";
import { before, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { compileSource } from "../../src/compiler.js";
import { createEncoder, fitEncoding } from "../../src/data/encode/index.js";
import { DataError, type RawRecord } from "../../src/data/record.js";
import { buildModel } from "../../src/runtime/graph/index.js";
import { evaluate } from "../../src/evaluate/evaluate.js";
import { assertFiniteScores } from "../../src/serve/finite-scores.js";
import { predictRecords } from "../../src/serve/predict.js";

before(async () => {
  await tf.setBackend("cpu");
});

test("a NaN or infinite score is refused at its row and task; finite scores pass", () => {
  const lines = [10, 11, 12];
  assert.doesNotThrow(() => assertFiniteScores({ ctr: new Float32Array([0.1, 0.5, 1]) }, lines, "f.csv"));
  for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
    assert.throws(
      () => assertFiniteScores({ ctr: new Float32Array([0.1, 0.2, 0.3]), gmv: new Float32Array([1, bad, 2]) }, lines, "f.csv"),
      (error: DataError) => error instanceof DataError && error.line === 11 && error.file === "f.csv" && error.message.startsWith("task 'gmv'"),
    );
  }
});

const SPEC = `model m
feature x : numeric()
tower t = mlp(x, [2], activation: linear)
task amount : regression = t label y
`;

test("eval and predict stop at the first row a finite model overflows on, naming its line", async () => {
  const ir = compileSource(SPEC, "m.mtl").ir!;
  const rows: RawRecord[] = [1, 2, 3].map((v, i) => ({ line: i + 2, fields: { x: String(v), y: "1" } }));
  rows.push({ line: 5, fields: { x: "3e30", y: "1" } });
  const encoding = await fitEncoding(ir, rows.slice(0, 3), "rows.csv");
  const encoder = createEncoder(ir, encoding);
  const { model } = buildModel(ir);
  // Finite weights whose products overflow float32 on a large input: what a diverging run can save.
  for (const layer of model.layers) {
    const weights = layer.getWeights();
    if (weights.length > 0) layer.setWeights(weights.map((w) => tf.fill(w.shape, 1e18)));
  }
  async function* records() {
    yield* rows;
  }
  const refusedAtLine5 = (error: unknown) => error instanceof DataError && error.line === 5 && /task 'amount'.*Infinity/.test(error.message);
  await assert.rejects(evaluate(ir, model, encoder, records(), { batch: 8, file: "rows.csv" }), refusedAtLine5);
  const written: unknown[] = [];
  const writer = { write: (row: unknown) => void written.push(row), close: async () => {}, abort: async () => {} };
  await assert.rejects(predictRecords(ir, model, encoder, records(), writer as never, { batch: 8, file: "rows.csv" }), refusedAtLine5);
  assert.deepEqual(written, [], "no score of the batch is written");
});

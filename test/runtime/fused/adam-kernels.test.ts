/**
 * The fused step's Adam in WebAssembly (graph/adam-wasm.ts: lazy Adam on the
 * tables' rows, dense Adam on the other weights) leaves every weight, moment
 * and table slot with the same bits as the JavaScript loops
 * (MTL_WASM_ADAM=off), step after step, across a checkpoint and resume; the
 * tables it trains sit on cache lines (backend/aligned-heap.ts), also after
 * the resume gave them new storage, and save and load as they are.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type * as tf from "@tensorflow/tfjs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { ALIGNMENT } from "../../../src/runtime/backend/aligned-heap.js";
import { ALIGNED_MIN_BYTES, writableRows } from "../../../src/runtime/backend/tensor-memory.js";
import { loadModel, saveModel } from "../../../src/runtime/graph/save-load.js";
import { selectBackend } from "../../../src/runtime/backend/select.js";
import { createTrainStep } from "../../../src/runtime/graph/train-step.js";
import { bits, bitsOf, randomBatch, specFiles, specIR, twins } from "./fixtures.js";

before(async () => {
  await selectBackend("wasm");
});
after(() => {
  delete process.env["MTL_WASM_ADAM"];
  return selectBackend("cpu");
});

/** A model's weights as float32 bits, by name. */
const weightBits = (model: tf.LayersModel): Record<string, number[]> =>
  Object.fromEntries(model.weights.map((w) => [w.originalName, bits(w.read().dataSync() as Float32Array)]));

test("the fused step's WebAssembly Adam writes the JavaScript loops' bits, also after a resume", async () => {
  // Tables of dim 16 (the kernels' pairs) and dense layers: recsys-esmm at the tests' table size.
  const ir = specIR(specFiles().find((s) => s.name === "bench/train/specs/recsys-esmm.mtl")!.path);
  const [a, b] = twins(ir);
  const withKernels = createTrainStep(a, { fused: true });
  process.env["MTL_WASM_ADAM"] = "off";
  const withLoops = createTrainStep(b, { fused: true });
  assert.equal(withKernels.engine, "fused");
  const batches = [1, 2, 3, 4].map((seed) => randomBatch(ir, 64, seed));
  const run = (step: typeof withKernels, kernels: boolean, batch: (typeof batches)[number]) => {
    process.env["MTL_WASM_ADAM"] = kernels ? "on" : "off";
    return step.runEncoded!(batch).total;
  };
  for (const batch of batches.slice(0, 2)) assert.equal(run(withKernels, true, batch), run(withLoops, false, batch));
  // A checkpoint of the kernels' run, resumed in a fresh step (new tables' storage, slots restored into the heap).
  const state = await withKernels.exportState();
  const [c] = twins(ir);
  const resumed = createTrainStep(c, { fused: true });
  await resumed.importState(state);
  for (const batch of batches.slice(2)) {
    const loss = run(resumed, true, batch);
    assert.equal(loss, run(withLoops, false, batch));
    assert.equal(run(withKernels, true, batch), loss);
  }
  const expected = bitsOf(await withLoops.exportState());
  for (const step of [withKernels, resumed]) {
    const actual = bitsOf(await step.exportState());
    assert.deepEqual(Object.keys(actual), Object.keys(expected));
    for (const [key, values] of Object.entries(expected)) assert.deepEqual(actual[key], values, key);
  }
  // Every table of the runs with the kernels is on a cache line, the resumed one's too.
  for (const built of [a, c]) {
    const tables = built.trainingModel.weights.filter((w) => w.originalName.includes("embeddings") && w.read().size * 4 >= ALIGNED_MIN_BYTES);
    assert.ok(tables.length > 0);
    for (const t of tables) assert.equal(writableRows(t.read())!.byteOffset % ALIGNMENT, 0, `${t.originalName} is not on a cache line`);
  }
  // Saved and loaded, the trained tables and weights are the same bits.
  const dir = await mkdtemp(path.join(tmpdir(), "mtl-adam-kernels-"));
  try {
    await saveModel(c.trainingModel, dir);
    const loaded = await loadModel(dir);
    assert.deepEqual(weightBits(loaded), weightBits(c.trainingModel));
    loaded.dispose();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  for (const step of [withKernels, withLoops, resumed]) step.dispose();
});

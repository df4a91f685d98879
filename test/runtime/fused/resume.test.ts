/**
 * The fused step's state is the plain path's: a checkpoint taken from either
 * resumes on the other and continues as an uninterrupted run of the first;
 * and the weights it trains are the model's own (no copy), so predict,
 * evaluation and saving read the trained weights.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../../src/runtime/backend/select.js";
import { buildModel } from "../../../src/runtime/graph/build-model.js";
import { predictTasks } from "../../../src/runtime/graph/forward.js";
import { createTrainStep, type TrainStep } from "../../../src/runtime/graph/train-step.js";
import type { ValidIR } from "../../../src/ir/types.js";
import { featureTensors } from "../../../src/train/tensors.js";
import { assertClose } from "../graph/fixtures.js";
import { assertLossesClose, assertStatesClose, plainRun, randomBatch, specFiles, specIR, TOLERANCE, twins } from "./fixtures.js";

before(async () => {
  await selectBackend("wasm");
});
after(() => selectBackend("cpu"));

const spec = (name: string): ValidIR => specIR(specFiles().find((s) => s.name === name)!.path);

const run = (step: TrainStep, ir: ValidIR, seed: number) => {
  const batch = randomBatch(ir, Math.min(ir.train.batch, 128), seed);
  return step.engine === "fused" ? step.runEncoded!(batch, { scores: true }) : plainRun(step, ir, batch);
};

for (const [from, to] of [["fused", "plain"], ["plain", "fused"]] as const) {
  test(`a checkpoint of the ${from} step resumes on the ${to} step as an uninterrupted ${from} run continues`, async () => {
    // census-mmoe: dense layers, a gate's softmax and mix, and sparse tables.
    const ir = spec("specs/census-mmoe.mtl");
    const [a, b] = twins(ir);
    const first = createTrainStep(a, { fused: from === "fused" });
    assert.equal(first.engine === "fused", from === "fused");
    for (let s = 0; s < 3; s++) run(first, ir, s);
    const state = await first.exportState();
    const second = createTrainStep(b, { fused: to === "fused" });
    assert.equal(second.engine === "fused", to === "fused");
    await second.importState(state);
    assert.equal(second.steps, 3);
    for (let s = 3; s < 6; s++) assertLossesClose(run(second, ir, s), run(first, ir, s), `step ${s + 1}`);
    assertStatesClose(await second.exportState(), await first.exportState(), `after resuming on the ${to} step`);
    first.dispose();
    second.dispose();
    tf.disposeVariables();
  });
}

test("an export of the fused step is a snapshot: the steps after it leave its table slots as they were", async () => {
  const ir = spec("specs/census-mmoe.mtl");
  const step = createTrainStep(buildModel(ir), { fused: true });
  assert.equal(step.engine, "fused");
  run(step, ir, 0);
  const kept = (await step.exportState()).sparse;
  assert.ok(kept.length > 0 && kept.every((s) => s.writer !== undefined), "an export not read yet has a writer");
  const copy = (state: typeof kept) => state.map(({ table, slots }) => ({ table, slots: slots.map((x) => x.slice()) }));
  const before = copy((await step.exportState()).sparse);
  run(step, ir, 1);
  assert.deepEqual(copy(kept), before);
  assert.notDeepEqual(copy((await step.exportState()).sparse), before, "the step changed no slot");
  step.dispose();
  tf.disposeVariables();
});

test("predict and the model's weights see what the fused step trained, with nothing to flush", async () => {
  const ir = spec("bench/train/specs/synthetic-mmoe.mtl");
  const built = buildModel(ir);
  const step = createTrainStep(built);
  assert.equal(step.engine, "fused");
  const batch = randomBatch(ir, 64, 7);
  const inputs = featureTensors(ir, batch);
  const before = predictTasks(built.model, inputs);
  const beforeValues = Object.fromEntries(Object.entries(before).map(([t, v]) => [t, v.dataSync().slice()]));
  for (let s = 0; s < 5; s++) step.runEncoded!(randomBatch(ir, 64, s));
  const trained = (await step.exportState()).weights;
  // A fresh model holding the exported weights predicts what the trained model predicts, through TF.js's own
  // kernels too (MTL_FUSED=off: no fused forward pass), whose products must not multiply stale weights.
  const fresh = buildModel(ir);
  fresh.trainingModel.setWeights(trained.map((w) => tf.tensor(w.values, w.shape)));
  const saved = process.env["MTL_FUSED"];
  process.env["MTL_FUSED"] = "off";
  let after, reference;
  try {
    after = predictTasks(built.model, inputs);
    reference = predictTasks(fresh.model, inputs);
  } finally {
    if (saved === undefined) delete process.env["MTL_FUSED"];
    else process.env["MTL_FUSED"] = saved;
  }
  for (const task of Object.keys(after)) {
    const values = after[task]!.dataSync();
    assertClose(values, reference[task]!.dataSync(), 1e-6, `predictions of ${task}`);
    assert.ok(values.some((v, i) => Math.abs(v - beforeValues[task]![i]!) > 1e-4), `the steps changed the predictions of ${task}`);
  }
  built.model.getWeights().forEach((w, i) => assertClose(w.dataSync(), trained.find((t) => t.name === built.model.weights[i]!.originalName)!.values, 0, `weight ${i}`));
  tf.dispose([inputs, before, after, reference]);
  step.dispose();
  tf.disposeVariables();
});

test("with scores, the fused step returns each task's forward outputs of the step (before its update)", () => {
  const ir = spec("specs/mmoe.mtl");
  const [a, b] = twins(ir);
  const fused = createTrainStep(a);
  const batch = randomBatch(ir, 32, 3);
  const inputs = featureTensors(ir, batch);
  const expected = predictTasks(b.model, inputs);
  const result = fused.runEncoded!(batch, { scores: true });
  for (const [task, values] of Object.entries(expected)) assertClose(result.scores![task]!, values.dataSync(), TOLERANCE, `scores of ${task}`);
  tf.dispose([inputs, expected]);
  fused.dispose();
  tf.disposeVariables();
});

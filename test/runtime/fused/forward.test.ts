/**
 * predictTasks through the fused forward pass (src/runtime/fused/forward.ts,
 * the default) gives what TF.js's layers give (within 1e-5), for every example spec it supports, at a
 * serving size and on a ragged batch; MTL_FUSED_PREDICT=off, MTL_FUSED=off and a model built
 * { plain: true } take TF.js's path; MTL_FUSED_SIMD=off keeps the forward pass out of the SIMD arena.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../../src/runtime/backend/select.js";
import { buildModel } from "../../../src/runtime/graph/build-model.js";
import { predictTasks } from "../../../src/runtime/graph/forward.js";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fusedPredict, registerFusedForward } from "../../../src/runtime/fused/forward.js";
import { loadModel, saveModel } from "../../../src/runtime/graph/save-load.js";
import { fusedUnsupported } from "../../../src/runtime/fused/support.js";
import { SimdArena } from "../../../src/runtime/fused/arena.js";
import { featureTensors } from "../../../src/train/tensors.js";
import { assertClose } from "../graph/fixtures.js";
import { randomBatch, specFiles, specIR } from "./fixtures.js";

const predictSetting = process.env["MTL_FUSED_PREDICT"];
before(async () => {
  await selectBackend("wasm");
  delete process.env["MTL_FUSED_PREDICT"];
});
after(() => {
  if (predictSetting === undefined) delete process.env["MTL_FUSED_PREDICT"];
  else process.env["MTL_FUSED_PREDICT"] = predictSetting;
  return selectBackend("cpu");
});

for (const spec of specFiles()) {
  const ir = specIR(spec.path);
  const supported = fusedUnsupported(ir, buildModel(ir).plan, { inference: true, env: {} }).length === 0;
  test(`${spec.name}: ${supported ? "the fused forward pass predicts what TF.js's layers predict" : "predicts through TF.js (not fused)"}`, () => {
    const built = buildModel(ir);
    const plain = buildModel(ir, built.plan, { plain: true });
    plain.model.setWeights(built.model.getWeights());
    for (const size of [37, 1000]) {
      const inputs = featureTensors(ir, randomBatch(ir, size, size));
      const fused = fusedPredict(built.model, inputs);
      assert.equal(fused !== null, supported);
      assert.equal(fusedPredict(plain.model, inputs), null, "a { plain: true } model is the reference");
      const got = predictTasks(built.model, inputs);
      const want = predictTasks(plain.model, inputs);
      for (const task of ir.tasks) {
        assert.deepEqual(got[task.name]!.shape, [size, 1]);
        assertClose(got[task.name]!.dataSync(), want[task.name]!.dataSync(), 1e-5, `${spec.name} ${task.name} at ${size} rows`);
      }
      tf.dispose([inputs, got, want, fused ?? {}]);
    }
    tf.disposeVariables();
  });
}

test("a model loaded from disk and registered (as loadModelDir does) predicts through the fused forward pass alike", async () => {
  const ir = specIR(specFiles().find((s) => s.name === "specs/esmm.mtl")!.path);
  const built = buildModel(ir);
  const dir = mkdtempSync(join(tmpdir(), "mtl-fused-forward-"));
  await saveModel(built.model, dir);
  const loaded = await loadModel(dir);
  const inputs = featureTensors(ir, randomBatch(ir, 50, 2));
  assert.equal(fusedPredict(loaded, inputs), null, "not registered yet");
  const want = predictTasks(loaded, inputs);
  registerFusedForward(loaded, ir, built.plan);
  const got = fusedPredict(loaded, inputs);
  assert.ok(got !== null);
  for (const task of ir.tasks) assertClose(got[task.name]!.dataSync(), want[task.name]!.dataSync(), 1e-5, `loaded ${task.name}`);
  tf.dispose([inputs, want, got]);
  loaded.dispose();
  tf.disposeVariables();
});

test("MTL_FUSED_PREDICT=off and MTL_FUSED=off send predictions through TF.js; unset, through the fused forward pass", () => {
  const ir = specIR(specFiles().find((s) => s.name === "specs/mmoe.mtl")!.path);
  const built = buildModel(ir);
  const inputs = featureTensors(ir, randomBatch(ir, 10, 1));
  const fusedSetting = process.env["MTL_FUSED"];
  delete process.env["MTL_FUSED"];
  try {
    for (const name of ["MTL_FUSED", "MTL_FUSED_PREDICT"]) {
      process.env[name] = "off";
      assert.equal(fusedPredict(built.model, inputs), null, `${name}=off`);
      delete process.env[name];
    }
    const on = fusedPredict(built.model, inputs);
    assert.ok(on !== null, "on by default");
    tf.dispose(on);
  } finally {
    if (fusedSetting !== undefined) process.env["MTL_FUSED"] = fusedSetting;
  }
  tf.dispose(inputs);
  tf.disposeVariables();
});

test("MTL_FUSED_SIMD=off: the forward pass compiled for a model keeps its tensors out of the SIMD arena (the JavaScript loops); unset, in it", () => {
  const ir = specIR(specFiles().find((s) => s.name === "specs/omoe.mtl")!.path);
  const inputs = featureTensors(ir, randomBatch(ir, 10, 1));
  const setting = process.env["MTL_FUSED_SIMD"];
  const layout = SimdArena.prototype.layout;
  let layouts = 0;
  SimdArena.prototype.layout = function (this: SimdArena, floats: readonly number[]) {
    layouts++;
    return layout.call(this, floats);
  };
  try {
    for (const [value, expected] of [["off", 0], [undefined, 1]] as const) {
      if (value === undefined) delete process.env["MTL_FUSED_SIMD"];
      else process.env["MTL_FUSED_SIMD"] = value;
      layouts = 0;
      const scores = fusedPredict(buildModel(ir).model, inputs); // a new model: its program is compiled now
      assert.ok(scores !== null);
      assert.equal(layouts, expected, `MTL_FUSED_SIMD=${value ?? "(unset)"}`);
      tf.dispose(scores);
    }
  } finally {
    SimdArena.prototype.layout = layout;
    if (setting === undefined) delete process.env["MTL_FUSED_SIMD"];
    else process.env["MTL_FUSED_SIMD"] = setting;
  }
  tf.dispose(inputs);
  tf.disposeVariables();
});

test("on the cpu backend too (its own arrays, read without a copy) the fused forward pass predicts what TF.js's layers predict", async () => {
  await selectBackend("cpu");
  try {
    const ir = specIR(specFiles().find((s) => s.name === "specs/mmoe.mtl")!.path);
    const built = buildModel(ir);
    const plain = buildModel(ir, built.plan, { plain: true });
    plain.model.setWeights(built.model.getWeights());
    const inputs = featureTensors(ir, randomBatch(ir, 64, 5));
    const got = fusedPredict(built.model, inputs);
    assert.ok(got !== null, "the cpu backend runs the fused forward pass");
    const want = predictTasks(plain.model, inputs);
    for (const task of ir.tasks) assertClose(got[task.name]!.dataSync(), want[task.name]!.dataSync(), 1e-5, `cpu ${task.name}`);
    tf.dispose([inputs, got, want]);
    tf.disposeVariables();
  } finally {
    await selectBackend("wasm");
  }
});

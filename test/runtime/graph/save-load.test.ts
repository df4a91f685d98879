import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, open, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { buildModel } from "../../../src/runtime/graph/build-model.js";
import { ClampIds, MaskedSequencePooling } from "../../../src/portable/layers.js";
import { predictTasks } from "../../../src/runtime/graph/forward.js";
import { fileSystemHandler, loadModel, saveModel } from "../../../src/runtime/graph/save-load.js";
import { onBackend } from "../backend/helpers.js";
import { createTrainStep } from "../../../src/runtime/graph/train-step.js";
import { esmmIR, features, inputTensors, pleIR, rawBatch, useCpu } from "./fixtures.js";
import { ALIGNMENT } from "../../../src/runtime/backend/aligned-heap.js";
import { ALIGNED_MIN_BYTES, writableRows } from "../../../src/runtime/backend/tensor-memory.js";
import { registerFusedForward } from "../../../src/runtime/fused/forward.js";
import { featureTensors } from "../../../src/train/tensors.js";
import { randomBatch, specFiles, specIR } from "../fused/fixtures.js";

let root = "";
before(async () => {
  await useCpu();
  root = await mkdtemp(path.join(tmpdir(), "mtl-save-load-"));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

function predictions(model: tf.LayersModel, inputs: Record<string, tf.Tensor>): Record<string, number[]> {
  const out = predictTasks(model, inputs);
  const values = Object.fromEntries(Object.entries(out).map(([k, t]) => [k, Array.from(t.dataSync())]));
  tf.dispose(out);
  return values;
}

/** An ESMM with batch norm, trained a few steps so that batch-norm statistics and weights are not initial. */
function trainedEsmm(seed: number, steps: number) {
  const ir = esmmIR({ dropout: 0.2, batchNorm: true });
  ir.features = features("max");
  const built = buildModel(ir);
  const raw = rawBatch(32, seed);
  const inputs = inputTensors(raw);
  const labels = { ctr: tf.tensor1d(raw.user.map((u) => u % 2)), ctcvr: tf.zeros([32]), gmv: tf.tensor1d(raw.price) };
  const step = createTrainStep(built);
  for (let i = 0; i < steps; i++) step.run({ inputs, labels, masks: { gmv: tf.ones([32]) } });
  step.dispose();
  return { built, inputs, labels };
}

test("save then load gives identical predictions and rebuilds the custom layers", async () => {
  const { built, inputs, labels } = trainedEsmm(3, 3);

  const dir = path.join(root, "esmm");
  const result = await saveModel(built.model, dir);
  assert.ok((result.modelArtifactsInfo.weightDataBytes ?? 0) > 0);
  const files = await readdir(dir);
  assert.ok(files.includes("model.json"));
  assert.equal(files.filter((f) => /^weights\.[0-9a-f]{16}\.bin$/.test(f)).length, 1);
  assert.equal(files.filter((f) => f.endsWith(".tmp")).length, 0, "no temp files left");

  const json = JSON.parse(await readFile(path.join(dir, "model.json"), "utf8"));
  assert.equal(json.format, "layers-model");
  const weightNames: string[] = json.weightsManifest[0].weights.map((w: { name: string }) => w.name);
  assert.ok(weightNames.includes("expert_bottom_0_dense_0/kernel"));
  assert.ok(weightNames.includes("task_ctr_head/kernel"));
  assert.ok(!weightNames.some((n) => n.startsWith("task_ctcvr")), "a product head has no weights");
  assert.ok(weightNames.includes("emb_item/embeddings"));

  const loaded = await loadModel(dir);
  assert.deepEqual(loaded.inputNames, built.model.inputNames);
  assert.deepEqual(loaded.outputNames, built.model.outputNames);
  assert.ok(loaded.layers.some((l) => l instanceof ClampIds && l.maxId === 11));
  assert.ok(loaded.layers.some((l) => l instanceof MaskedSequencePooling && l.mode === "max"));
  assert.deepEqual(predictions(loaded, inputs), predictions(built.model, inputs));
  tf.dispose([inputs, labels]);
});

/** Every file of `dir` and its bytes. */
async function folderBytes(dir: string): Promise<Record<string, Buffer>> {
  const names = (await readdir(dir)).sort();
  return Object.fromEntries(await Promise.all(names.map(async (n) => [n, await readFile(path.join(dir, n))] as const)));
}

for (const backend of ["cpu", "wasm"] as const) {
  test(`on ${backend}, saveModel writes TensorFlow.js's own save byte for byte and reports the same fingerprints`, async () => {
    await onBackend(backend, async () => {
      const { built, inputs, labels } = trainedEsmm(5, 2);
      built.model.setUserDefinedMetadata({ note: "kept" });
      const direct = path.join(root, `direct-${backend}`);
      const viaTfjs = path.join(root, `tfjs-${backend}`);
      const heard: Record<string, unknown>[] = [{}, {}];
      const result = await saveModel(built.model, direct, (name, fingerprint) => (heard[0]![name] = fingerprint));
      await built.model.save(fileSystemHandler(viaTfjs, (name, fingerprint) => (heard[1]![name] = fingerprint)));
      const files = await folderBytes(direct);
      assert.deepEqual(Object.keys(files), ["model.json", Object.keys(files).find((f) => f.startsWith("weights."))!]);
      assert.deepEqual(files, await folderBytes(viaTfjs));
      assert.deepEqual(heard[0], heard[1]);
      assert.equal(result.modelArtifactsInfo.weightDataBytes, built.model.weights.reduce((n, w) => n + w.read().size * 4, 0));
      tf.dispose([inputs, labels]);
    });
  });
}

test("saving again replaces the model and removes the old weight file", async () => {
  const dir = path.join(root, "ple");
  const built = buildModel(pleIR());
  await saveModel(built.model, dir);
  const first = (await readdir(dir)).filter((f) => f.startsWith("weights."));
  const kernel = built.model.getLayer("gate_g1_ctr").getWeights()[0]!;
  built.model.getLayer("gate_g1_ctr").setWeights([tf.add(kernel, 1), built.model.getLayer("gate_g1_ctr").getWeights()[1]!]);
  await writeFile(path.join(dir, "unrelated.txt"), "kept");
  await saveModel(built.model, dir);
  const files = await readdir(dir);
  const second = files.filter((f) => f.startsWith("weights."));
  assert.equal(second.length, 1);
  assert.notDeepEqual(second, first);
  assert.ok(files.includes("unrelated.txt"));
  const inputs = inputTensors(rawBatch(8, 4));
  assert.deepEqual(predictions(await loadModel(dir), inputs), predictions(built.model, inputs));
  tf.dispose(inputs);
});

test("a weight write that fails mid-way rejects the save, leaves no temporary file and keeps the old model", async () => {
  const dir = path.join(root, "full-disk");
  const built = buildModel(pleIR());
  await saveModel(built.model, dir);
  const before = await readdir(dir);
  // Every write of the weights is queued at once; the third one fails as on a full disk.
  const probe = await open(path.join(root, "probe"), "w");
  const prototype = Object.getPrototypeOf(probe) as { write: (...args: unknown[]) => Promise<unknown> };
  await probe.close();
  const write = prototype.write;
  let calls = 0;
  prototype.write = function (this: unknown, ...args: unknown[]) {
    if (++calls === 3) return Promise.reject(Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" }));
    return write.apply(this, args);
  };
  try {
    await assert.rejects(saveModel(built.model, dir), { code: "ENOSPC" });
  } finally {
    prototype.write = write;
  }
  assert.ok(calls >= 3, "the failing write was reached");
  assert.deepEqual((await readdir(dir)).sort(), before.sort());
});

test("loading reports a missing or foreign folder, and refuses weight paths outside it", async () => {
  await assert.rejects(loadModel(path.join(root, "nothing-here")), /cannot read a TF.js model from .*model\.json/);
  const dir = path.join(root, "escape");
  const built = buildModel(pleIR());
  await saveModel(built.model, dir);
  const jsonPath = path.join(dir, "model.json");
  const json = JSON.parse(await readFile(jsonPath, "utf8"));
  json.weightsManifest[0].paths = ["../secret.bin"];
  await writeFile(jsonPath, JSON.stringify(json));
  await assert.rejects(loadModel(dir), /outside the model folder/);
});

test("a damaged model.json is refused in one line: TensorFlow.js's first sentence, or 'damaged' for its internals", async () => {
  const dir = path.join(root, "damaged");
  await saveModel(buildModel(pleIR()).model, dir);
  const jsonPath = path.join(dir, "model.json");
  const text = await readFile(jsonPath, "utf8");
  const oneLine = (pattern: RegExp) => (err: Error) => pattern.test(err.message) && !err.message.includes("\n");
  // TensorFlow.js explains an unknown class over several lines ("This may be due to ... 1. ... 2. ...").
  await writeFile(jsonPath, text.replace('"class_name":"Dense"', '"class_name":"D ense"'));
  await assert.rejects(loadModel(dir), oneLine(/^Unknown layer: D ense\.?$/));
  // A layer without its inbound nodes fails inside TensorFlow.js ("Cannot read properties of undefined (reading 'forEach')").
  const json = JSON.parse(text);
  delete json.modelTopology.config.layers.find((l: { class_name: string }) => l.class_name === "Dense").inbound_nodes;
  await writeFile(jsonPath, JSON.stringify(json));
  await assert.rejects(loadModel(dir), oneLine(/^its model description is damaged$/));
  // Not JSON: where, in one line.
  await writeFile(jsonPath, text.slice(0, 100));
  await assert.rejects(loadModel(dir), oneLine(/model\.json: not valid JSON \(line 1, column \d+: .+\)$/));
});

test("loading from files already read takes model.json and the weights from them, not from the disk", async () => {
  const { built } = trainedEsmm(5, 1);
  const dir = path.join(root, "read-given");
  await saveModel(built.model, dir);
  const weightsName = (await readdir(dir)).find((f) => f.startsWith("weights."))!;
  const onDisk = await readFile(path.join(dir, weightsName));
  // The bytes as a caller read them, each in a buffer of its own (what model-dir's readListedFiles gives): every value doubled.
  const doubled = new Uint8Array(onDisk.byteLength);
  const values = new Float32Array(doubled.buffer);
  values.set(new Float32Array(onDisk.buffer, onDisk.byteOffset, onDisk.byteLength / 4).map((v) => 2 * v));
  const modelJson = await readFile(path.join(dir, "model.json"));
  const asRead: Record<string, Uint8Array> = { "model.json": modelJson, [weightsName]: doubled };
  // On the disk, model.json is gone: loading must not look there.
  await rm(path.join(dir, "model.json"));
  const loaded = await loadModel(dir, (name) => asRead[name]!);
  const fromDisk = built.model.getWeights().map((w) => w.dataSync());
  const given = loaded.getWeights().map((w) => w.dataSync());
  assert.equal(given.length, fromDisk.length);
  given.forEach((w, i) => assert.deepEqual(Array.from(w), Array.from(fromDisk[i]!).map((v) => 2 * v), `weight ${i}`));
  // The buffer handed to TF.js is only read: the caller's bytes are as they were.
  assert.deepEqual(Array.from(values.slice(0, 4)), Array.from(new Float32Array(onDisk.buffer, onDisk.byteOffset, 4)).map((v) => 2 * v));
  loaded.dispose();
});

test("on wasm a loaded model's large weights (the tables) start on a cache line, as a built model's, and it predicts the same bits", async () => {
  await onBackend("wasm", async () => {
    const ir = specIR(specFiles().find((s) => s.name === "bench/train/specs/recsys-mmoe.mtl")!.path);
    const built = buildModel(ir);
    const dir = path.join(root, "aligned");
    await saveModel(built.model, dir);
    const loaded = await loadModel(dir);
    const large = loaded.weights.filter((w) => w.read().size * 4 >= ALIGNED_MIN_BYTES);
    assert.ok(large.length >= 26, "the 26 tables at least");
    for (const w of large) assert.equal(writableRows(w.read())!.byteOffset % ALIGNMENT, 0, `${w.name} is not on a cache line`);
    registerFusedForward(loaded, ir);
    const batch = randomBatch(ir, 64, 5);
    const inputs = featureTensors(ir, batch);
    assert.deepEqual(predictions(loaded, inputs), predictions(built.model, inputs));
    tf.dispose(inputs);
    loaded.dispose();
    built.model.dispose();
  });
});

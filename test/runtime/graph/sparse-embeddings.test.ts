import { after, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import type { ValidIR, OptimizerIR } from "../../../src/ir/types.js";
import { selectBackend } from "../../../src/runtime/backend/select.js";
import { buildModel, type BuiltModel } from "../../../src/runtime/graph/build-model.js";
import { createTrainStep, type TrainBatch } from "../../../src/runtime/graph/train-step.js";
import { SparseEmbeddings, type SparseSlots } from "../../../src/runtime/graph/sparse-embeddings.js";
import { packArrays } from "../../../src/train/checkpoint/format.js";
import { assertClose, esmmIR, features, inputTensors, ITEM_ROWS, mmoeIR, rawBatch, type RawBatch } from "./fixtures.js";

const ADAM: OptimizerIR = { type: "adam", lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };
const ADAGRAD: OptimizerIR = { type: "adagrad", lr: 0.1, initialAccumulator: 0.1 };
const SGD: OptimizerIR = { type: "sgd", lr: 0.5, momentum: 0 };

after(() => selectBackend("cpu"));

function batchOf(raw: RawBatch): TrainBatch {
  const click = raw.user.map((u) => (u % 3 === 0 ? 1 : 0));
  const buy = raw.item.map((i, r) => (click[r] === 1 && i % 2 === 0 ? 1 : 0));
  return {
    inputs: inputTensors(raw),
    labels: { ctr: tf.tensor1d(click), cvr: tf.tensor1d(buy), ctcvr: tf.tensor1d(buy), gmv: tf.tensor1d(raw.price.map((p) => 2 * p + 1)) },
    masks: { cvr: tf.tensor1d(click), gmv: tf.tensor1d(buy) },
  };
}

function withOptimizer(ir: ValidIR, optimizer: OptimizerIR): ValidIR {
  ir.train.optimizer = optimizer;
  return ir;
}

/** Every weight of the model, by name. */
function weights(built: BuiltModel): Map<string, Float32Array> {
  return new Map(built.model.weights.map((w) => [w.originalName, w.read().dataSync().slice() as Float32Array]));
}

function assertSameWeights(actual: BuiltModel, expected: BuiltModel, tol: number, what: string): void {
  const a = weights(actual);
  for (const [name, values] of weights(expected)) assertClose(a.get(name)!, values, tol, `${what}: ${name}`);
}

/** Trains a sparse and a dense copy of the same model on the same batches; returns both and their losses. */
function trainBoth(ir: () => ValidIR, batches: TrainBatch[]) {
  const sparse = buildModel(ir());
  const dense = buildModel(ir());
  const sparseStep = createTrainStep(sparse);
  const denseStep = createTrainStep(dense, { sparse: false });
  assert.equal(sparseStep.sparse, true);
  assert.equal(denseStep.sparse, false);
  const losses = batches.map((b) => [sparseStep.run(b).total, denseStep.run(b).total] as const);
  sparseStep.dispose();
  denseStep.dispose();
  return { sparse, dense, losses };
}

for (const backend of ["cpu", "wasm"] as const) {
  test(`${backend}: sparse and dense tables give the same losses and weights under SGD and Adagrad (exact sparse forms)`, async () => {
    await selectBackend(backend);
    for (const optimizer of [SGD, ADAGRAD]) {
      for (const pool of ["mean", "sum", "max"] as const) {
        const batches = [1, 2, 3, 4].map((seed) => batchOf(rawBatch(24, seed)));
        const ir = () => withOptimizer({ ...esmmIR(), features: features(pool) }, optimizer);
        const { sparse, dense, losses } = trainBoth(ir, batches);
        for (const [s, d] of losses) assertClose([s], [d], 1e-5, `${optimizer.type}/${pool} loss`);
        assertSameWeights(sparse, dense, 1e-5, `${optimizer.type}/${pool}`);
        tf.dispose(batches.map((b) => [b.inputs, b.labels, b.masks ?? {}]));
      }
    }
  });

  test(`${backend}: lazy Adam equals dense Adam when every step reads the same rows, and on the first step`, async () => {
    await selectBackend(backend);
    const batch = batchOf(rawBatch(32, 5));
    const { sparse, dense, losses } = trainBoth(() => withOptimizer(mmoeIR(), ADAM), [batch, batch, batch]);
    // Adam divides by the gradient's root mean square, which magnifies float
    // rounding in near-zero gradients (the two paths sum rows in different orders).
    for (const [s, d] of losses) assertClose([s], [d], 1e-5, "adam loss");
    assertSameWeights(sparse, dense, 1e-4, "adam");
    tf.dispose([batch.inputs, batch.labels, batch.masks ?? {}]);
  });
}

test("lazy Adam leaves the rows a batch does not read untouched; dense Adam moves them on old momentum", async () => {
  await selectBackend("cpu");
  const first = rawBatch(16, 6);
  // The second batch reads items 0 and 1 only (no history), so items >= 2 are unread.
  const second: RawBatch = { ...rawBatch(16, 7), item: Array.from({ length: 16 }, (_, i) => i % 2), hist: Array.from({ length: 16 }, () => [-1, -1, -1]) };
  const batches = [batchOf(first), batchOf(second)];
  const { sparse, dense } = trainBoth(() => withOptimizer(mmoeIR(), ADAM), batches.slice(0, 1));
  const sparseStep = createTrainStep(sparse);
  const denseStep = createTrainStep(dense, { sparse: false });
  // Continue from identical weights and fresh optimisers: one step on each batch.
  const itemTable = (b: BuiltModel) => b.model.getLayer("emb_item").getWeights()[0]!.dataSync().slice() as Float32Array;
  sparseStep.run(batches[0]!);
  denseStep.run(batches[0]!);
  const sparseBefore = itemTable(sparse);
  const denseBefore = itemTable(dense);
  sparseStep.run(batches[1]!);
  denseStep.run(batches[1]!);
  const sparseAfter = itemTable(sparse);
  const denseAfter = itemTable(dense);
  const dim = sparseAfter.length / ITEM_ROWS;
  const unread = (values: Float32Array) => Array.from(values.slice(2 * dim));
  assert.deepEqual(unread(sparseAfter), unread(sparseBefore), "sparse: unread rows unchanged");
  assert.notDeepEqual(unread(denseAfter), unread(denseBefore), "dense Adam keeps moving rows with momentum");
  assert.notDeepEqual(Array.from(sparseAfter.slice(0, 2 * dim)), Array.from(sparseBefore.slice(0, 2 * dim)), "read rows move");
  sparseStep.dispose();
  denseStep.dispose();
  tf.dispose(batches.map((b) => [b.inputs, b.labels, b.masks ?? {}]));
});

test("optimisers without a sparse form keep the tables dense", async () => {
  await selectBackend("cpu");
  const momentum = createTrainStep(buildModel(withOptimizer(mmoeIR(), { type: "sgd", lr: 0.1, momentum: 0.9 })));
  const rmsprop = createTrainStep(buildModel(withOptimizer(mmoeIR(), { type: "rmsprop", lr: 0.01, decay: 0.9, momentum: 0, epsilon: 1e-7 })));
  assert.equal(momentum.sparse, false);
  assert.equal(rmsprop.sparse, false);
  momentum.dispose();
  rmsprop.dispose();
});

test("a sparse step leaks no tensors and leaves the tables' storage private", async () => {
  await selectBackend("wasm");
  const built = buildModel(withOptimizer(esmmIR(), ADAM));
  const step = createTrainStep(built);
  const batch = batchOf(rawBatch(16, 8));
  step.run(batch);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 4; i++) step.run(batch);
  assert.equal(tf.memory().numTensors, before);
  // A clone (which TF.js lets share the table's storage) must not change under the in-place update.
  const snapshot = tf.clone(built.model.getLayer("emb_user").getWeights()[0]!);
  const copy = snapshot.dataSync().slice();
  step.run(batch);
  assert.deepEqual(Array.from(snapshot.dataSync()), Array.from(copy));
  assert.notDeepEqual(Array.from(built.model.getLayer("emb_user").getWeights()[0]!.dataSync()), Array.from(copy), "the table itself trained");
  snapshot.dispose();
  step.dispose();
  tf.dispose([batch.inputs, batch.labels, batch.masks ?? {}]);
});

test("exportState and importState continue a run exactly (sparse Adam, batch norm, uncertainty weighting)", async () => {
  await selectBackend("wasm");
  const ir = () => {
    const model = withOptimizer(esmmIR({ batchNorm: true, dropout: 0.2 }), ADAM);
    model.train.weighting = "uncertainty";
    return model;
  };
  const batches = [1, 2, 3, 4, 5].map((seed) => batchOf(rawBatch(16, seed)));
  const straight = buildModel(ir());
  const straightStep = createTrainStep(straight);
  for (const b of batches) straightStep.run(b);

  const first = buildModel(ir());
  const firstStep = createTrainStep(first);
  for (const b of batches.slice(0, 3)) firstStep.run(b);
  const state = await firstStep.exportState();
  firstStep.dispose();

  const resumed = buildModel(ir());
  const resumedStep = createTrainStep(resumed);
  await resumedStep.importState(state);
  assert.equal(resumedStep.steps, 3);
  for (const b of batches.slice(3)) resumedStep.run(b);
  assertSameWeights(resumed, straight, 0, "resumed (bit for bit)");
  assert.deepEqual((await resumedStep.exportState()).logVariances, (await straightStep.exportState()).logVariances);
  resumedStep.dispose();
  straightStep.dispose();
  tf.dispose(batches.map((b) => [b.inputs, b.labels, b.masks ?? {}]));
});

test("per-slot arrays, as every checkpoint holds them, restore into the per-row slots and export back bit for bit", async () => {
  for (const backend of ["cpu", "wasm"] as const) {
    await selectBackend(backend);
    const built = buildModel(withOptimizer(mmoeIR(), ADAM));
    const sparse: SparseEmbeddings = SparseEmbeddings.create(built, ADAM)!;
    const saved: SparseSlots[] = sparse.slots().map(({ table, slots }) => ({ table, slots: slots.map((s, k) => s.map((_, i) => (k + 1) * 1e4 + i)) }));
    sparse.restoreSlots(saved);
    for (const { table, slots } of saved) {
      const dim = built.ir.tables.find((t) => t.name === table)!.dim;
      const rows = sparse.slotRows(table);
      // Row r's m, then its v (slot-rows.ts), each taken from that row of the table-sized arrays.
      for (const r of [0, 1, slots[0]!.length / dim - 1]) {
        for (const k of [0, 1]) assert.deepEqual([...rows.subarray((2 * r + k) * dim, (2 * r + k + 1) * dim)], [...slots[k]!.subarray(r * dim, (r + 1) * dim)], `${backend}: ${table} row ${r} slot ${k}`);
      }
    }
    assert.deepEqual(sparse.slots().map(({ table, slots }) => ({ table, slots })), saved, `${backend}: exported as restored`);
    const wrong = saved.map((s) => ({ ...s, slots: s.slots.map((a) => a.subarray(1)) }));
    assert.throws(() => sparse.restoreSlots(wrong), /does not fit table/);
    sparse.dispose();
  }
});

test("an export is a snapshot: its weights and slots are those of when it was taken, after training on (the fused step's: test/runtime/fused/resume.test.ts), restoring other slots, or disposing", async () => {
  for (const backend of ["cpu", "wasm"] as const) {
    await selectBackend(backend);
    const built = buildModel(withOptimizer(mmoeIR(), ADAM));
    const step = createTrainStep(built);
    const batches = [1, 2, 3].map((seed) => batchOf(rawBatch(16, seed)));
    step.run(batches[0]!);
    const copy = (s: SparseSlots[]) => s.map(({ table, slots }) => ({ table, slots: slots.map((x) => x.slice()) }));
    const before = copy((await step.exportState()).sparse);
    const keptState = await step.exportState();
    const kept = keptState.sparse;
    const weightsBefore = keptState.weights.map((w) => w.values.slice());
    assert.ok(kept.every((s) => s.writer !== undefined), `${backend}: an export not read yet has a writer`);
    // A checkpoint packed from an export: its arrays are then the file's, not copied again before the next step.
    const packed = (await step.exportState()).sparse;
    const { bytes } = packArrays({ steps: 1, weights: [], optimizer: [], sparse: packed, logVariances: {} });
    assert.ok(packed.every((s) => s.writer === undefined && s.slots.every((a) => a.buffer === bytes.buffer)), `${backend}: packed, copied again`);
    step.run(batches[1]!);
    assert.ok(kept.every((s) => s.writer === undefined), `${backend}: the step froze the export`);
    assert.deepEqual(copy(kept), before, `${backend}: trained on`);
    assert.deepEqual(copy(packed), before, `${backend}: packed, then trained on`);
    assert.deepEqual(keptState.weights.map((w) => w.values), weightsBefore, `${backend}: the weights trained on`);
    assert.notDeepEqual(built.trainingModel.weights.map((w) => w.read().dataSync()), weightsBefore, `${backend}: the step changed no weight`);
    const after = (await step.exportState()).sparse;
    assert.notDeepEqual(copy(after), before, `${backend}: the step changed no slot`);
    // Restoring other slots, then disposing, leave an earlier export as it was.
    const third = (await step.exportState()).sparse;
    await step.importState({ ...(await step.exportState()), sparse: before });
    step.dispose();
    assert.deepEqual(copy(third), copy(after), `${backend}: restored and disposed`);
    tf.dispose(batches.map((b) => [b.inputs, b.labels, b.masks ?? {}]));
  }
});

test("importState refuses the state of another model", async () => {
  await selectBackend("cpu");
  const step = createTrainStep(buildModel(esmmIR()));
  const other = createTrainStep(buildModel(mmoeIR()));
  await assert.rejects(other.importState(await step.exportState()), /weights|does not fit/);
  step.dispose();
  other.dispose();
});

test("wasm: the tables' optimiser slots live in the heap and start at their initial value, even over memory the heap used before", async () => {
  await selectBackend("wasm");
  const wasm = (tf.engine().backend as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm;
  for (const [optimizer, initial] of [[ADAM, 0], [ADAGRAD, 0.1]] as const) {
    // Blocks of NaN freed just before: malloc hands their memory out again unwritten.
    tf.dispose(Array.from({ length: 8 }, (_, i) => tf.fill([4096 + i], NaN)));
    const built = buildModel(withOptimizer(mmoeIR(), optimizer));
    const sparse = SparseEmbeddings.create(built, optimizer)!;
    const slots = built.ir.tables.map((t) => sparse.slotRows(t.name));
    assert.ok(slots.length > 0);
    for (const slot of slots) {
      assert.equal(slot.buffer, wasm.HEAPU8.buffer, "a slot outside the wasm heap");
      // Each table's slots on a pair of cache lines (a 16-float row's m and v), wherever the heap block began.
      assert.equal(slot.byteOffset % 128, 0, "a table's slots do not start on 128 bytes");
      assert.ok(slot.every((x) => x === Math.fround(initial)), `a slot does not start at ${initial}`);
    }
    sparse.dispose();
  }
});

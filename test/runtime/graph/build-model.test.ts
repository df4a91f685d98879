import { before, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { buildModel } from "../../../src/runtime/graph/build-model.js";
import { forward, predictTasks } from "../../../src/runtime/graph/forward.js";
import { deriveSeed } from "../../../src/plan/seed.js";
import {
  ARCHITECTURES,
  HIST_LEN,
  assertClose,
  binaryTask,
  esmmIR,
  gate,
  inputTensors,
  mlp,
  mmoeIR,
  modelIR,
  omoeIR,
  pleIR,
  rawBatch,
  sharedBottomIR,
  useCpu,
} from "./fixtures.js";
import { reference } from "./reference.js";

before(useCpu);

for (const [arch, makeIR] of Object.entries(ARCHITECTURES)) {
  test(`${arch}: named inputs and outputs with the documented shapes`, () => {
    const ir = makeIR();
    const built = buildModel(ir);
    assert.deepEqual(built.model.inputNames, ["user", "item", "hist", "price"]);
    assert.deepEqual(built.inputNames, ["user", "item", "hist", "price"]);
    assert.deepEqual(
      built.model.inputs.map((i) => [i.shape, i.dtype]),
      [
        [[null, 1], "int32"],
        [[null, 1], "int32"],
        [[null, HIST_LEN], "int32"],
        [[null, 1], "float32"],
      ],
    );
    assert.deepEqual(built.model.outputNames, ir.tasks.map((t) => t.name));
    for (const out of built.model.outputs) assert.deepEqual(out.shape, [null, 1]);
    // Logits of dense binary heads follow the task outputs in the training model.
    const denseBinary = ir.tasks.filter((t) => t.type === "binary" && t.head.op === "dense");
    assert.equal(built.trainingModel.outputs.length, ir.tasks.length + denseBinary.length);
    denseBinary.forEach((t, i) => assert.equal(built.taskIndex[t.name]!.logit, ir.tasks.length + i));
  });

  test(`${arch}: predictions match a plain-JS evaluation of the IR`, () => {
    const ir = makeIR();
    const built = buildModel(ir);
    const raw = rawBatch(9, 7);
    const inputs = inputTensors(raw);
    const got = predictTasks(built.model, inputs);
    const expected = reference(ir, built.model, raw);
    for (const task of ir.tasks) {
      assertClose(got[task.name]!.dataSync(), expected.tasks[task.name]!, 1e-5, `${arch} ${task.name}`);
    }
    for (const rows of Object.values(expected.gates)) {
      for (const g of rows) assert.ok(Math.abs(g.reduce((a, b) => a + b, 0) - 1) < 1e-12);
    }
    tf.dispose([inputs, got]);
  });
}

test("layer names derive from IR names", () => {
  const names = buildModel(pleIR()).model.layers.map((l) => l.name);
  for (const expected of [
    "emb_user",
    "emb_item",
    "feat_user_flat",
    "feat_hist_ids",
    "feat_hist_pool",
    "concat_input",
    "expert_e1_shared_0_dense_0",
    "expert_e1_shared_1_dense_0",
    "expert_e2_cvr_0_dense_0",
    "gate_g1_shared",
    "gate_g1_shared_mix",
    "gate_g2_cvr_expert_2_row",
    "tower_ctr_tower_dense_0",
    "task_ctr_head",
    "ctr",
    "cvr",
  ]) {
    assert.ok(names.includes(expected), `missing layer ${expected}`);
  }
  const mlpNames = buildModel(sharedBottomIR({ batchNorm: true, dropout: 0.25 })).model.layers.map((l) => l.name);
  for (const expected of ["expert_bottom_0_dense_1", "expert_bottom_0_bn_1", "expert_bottom_0_act_1", "expert_bottom_0_dropout_1"]) {
    assert.ok(mlpNames.includes(expected), `missing layer ${expected}`);
  }
});

test("a sequence shares its table's Embedding layer with the categorical feature", () => {
  const built = buildModel(omoeIR());
  const embeddings = built.model.layers.filter((l) => l.getClassName() === "Embedding");
  assert.deepEqual(embeddings.map((l) => l.name).sort(), ["emb_item", "emb_user"]);
  const item = built.model.getLayer("emb_item");
  assert.equal(item.inboundNodes.length, 2, "emb_item is applied to both item and hist");
  assert.equal(item.getWeights().length, 1);
});

test("gates mix experts: weights sum to 1 per row and mixture = sum g_i f_i, with set weights", () => {
  const ir = omoeIR();
  const built = buildModel(ir);
  // Gate kernel 0 and bias log(1,2,3): the gate is exactly [1/6, 2/6, 3/6] for every row.
  const gateLayer = built.model.getLayer("gate_g");
  const [kernel] = gateLayer.getWeights();
  gateLayer.setWeights([tf.zerosLike(kernel!), tf.tensor1d([0, Math.log(2), Math.log(3)])]);
  const probe = tf.model({
    inputs: built.model.inputs,
    outputs: [
      gateLayer.output as tf.SymbolicTensor,
      built.model.getLayer("expert_experts_0_dense_0").output as tf.SymbolicTensor,
      built.model.getLayer("expert_experts_1_dense_0").output as tf.SymbolicTensor,
      built.model.getLayer("expert_experts_2_dense_0").output as tf.SymbolicTensor,
      built.model.getLayer("gate_g_mix").output as tf.SymbolicTensor,
    ],
  });
  const inputs = inputTensors(rawBatch(5, 3));
  const outs = probe.predict(built.inputNames.map((n) => inputs[n]!)) as tf.Tensor[];
  const [g, f0, f1, f2, mixed] = outs.map((t) => t.arraySync() as number[][]);
  for (let r = 0; r < 5; r++) {
    assertClose(g![r]!, [1 / 6, 2 / 6, 3 / 6], 1e-6, "gate row");
    const expected = f0![r]!.map((_, d) => f0![r]![d]! / 6 + (2 * f1![r]![d]!) / 6 + (3 * f2![r]![d]!) / 6);
    assertClose(mixed![r]!, expected, 1e-6, "mixture");
  }
  tf.dispose([inputs, outs]);
});

test("esmm: ctcvr == ctr * cvr exactly, egmv == ctcvr * gmv exactly", () => {
  const built = buildModel(esmmIR());
  const inputs = inputTensors(rawBatch(16, 11));
  const out = predictTasks(built.model, inputs);
  const [ctr, cvr, ctcvr, gmv, egmv] = ["ctr", "cvr", "ctcvr", "gmv", "egmv"].map((t) => out[t]!.dataSync());
  for (let r = 0; r < 16; r++) {
    assert.equal(ctcvr![r], Math.fround(ctr![r]! * cvr![r]!));
    assert.equal(egmv![r], Math.fround(ctcvr![r]! * gmv![r]!));
  }
  tf.dispose([inputs, out]);
});

test("the training model's logits are the heads' pre-sigmoid values", () => {
  const built = buildModel(mmoeIR());
  const inputs = inputTensors(rawBatch(6, 5));
  const out = forward(built, inputs, false);
  for (const task of ["ctr", "cvr"]) {
    const p = out.values[task]!.dataSync();
    const l = out.logits[task]!.dataSync();
    assertClose(p, Array.from(l, (v) => 1 / (1 + Math.exp(-v))), 1e-6, task);
  }
  tf.dispose([inputs, out.values, out.logits]);
});

test("categorical and numeric inputs may also be fed as [batch]", () => {
  const built = buildModel(sharedBottomIR());
  const raw = rawBatch(4, 2);
  const column = inputTensors(raw);
  const flat = { ...column, user: tf.tensor1d(raw.user, "int32"), item: tf.tensor1d(raw.item, "int32"), price: tf.tensor1d(raw.price) };
  const a = predictTasks(built.model, column);
  const b = predictTasks(built.model, flat);
  assert.deepEqual(Array.from(a["ctr"]!.dataSync()), Array.from(b["ctr"]!.dataSync()));
  tf.dispose([column, flat, a, b]);
});

function weightsByName(model: tf.LayersModel): Map<string, number[]> {
  return new Map(model.weights.map((w) => [w.originalName, Array.from(w.read().dataSync())]));
}

test("initial weights depend only on train.seed and the layer name", () => {
  const a = weightsByName(buildModel(pleIR()).model);
  const b = weightsByName(buildModel(pleIR()).model);
  assert.deepEqual(a, b);
  assert.ok(a.has("expert_e1_ctr_0_dense_0/kernel"));

  const reseeded = pleIR();
  reseeded.train.seed = 43;
  const c = weightsByName(buildModel(reseeded).model);
  assert.notDeepEqual(c.get("expert_e1_ctr_0_dense_0/kernel"), a.get("expert_e1_ctr_0_dense_0/kernel"));

  // Experts of one group start differently, or they would stay identical.
  assert.notDeepEqual(a.get("expert_e1_ctr_0_dense_0/kernel"), a.get("expert_e1_ctr_1_dense_0/kernel"));

  // Adding a node does not disturb the initialisation of the others.
  const extended = pleIR();
  extended.nodes.push(mlp("tower", "extra", "g2_ctr", [3]));
  const d = weightsByName(buildModel(extended).model);
  assert.deepEqual(d.get("gate_g2_ctr/kernel"), a.get("gate_g2_ctr/kernel"));
});

test("seeds are stable numbers (a change would silently change every model)", () => {
  assert.equal(deriveSeed(42, "gate_g_ctr"), deriveSeed(42, "gate_g_ctr"));
  assert.notEqual(deriveSeed(42, "gate_g_ctr"), deriveSeed(42, "gate_g_cvr"));
  assert.notEqual(deriveSeed(42, "gate_g_ctr"), deriveSeed(43, "gate_g_ctr"));
  // Pinned: changing the hash would change every model's initial weights.
  assert.equal(deriveSeed(42, "gate_g_ctr"), 732880054);
  assert.equal(deriveSeed(1, "expert_shared_0_dense_1"), 1102973214);
  const s = deriveSeed(7, "x");
  assert.ok(Number.isInteger(s) && s >= 0 && s < 2 ** 31);
});

test("an IR the builder cannot build never reaches it: the gate refuses it with the place", () => {
  // modelIR passes every fixture through the gate (src/ir/validate.ts), as every IR a back end sees.
  assert.throws(
    () => modelIR("bad", [mlp("expert", "experts", "input", [4], { count: 2 }), mlp("tower", "t", "experts", [2])], [binaryTask("ctr", "t", "click")]),
    /\/nodes\/2\/input: 'experts' is a group of 2 experts; only a gate can mix a group/,
  );
  assert.throws(
    () => modelIR("bad", [mlp("expert", "experts", "input", [4], { count: 2 }), gate("g", "input", ["experts"], 3)], [binaryTask("ctr", "g", "click")]),
    /\/nodes\/2\/numExperts: the groups hold 2 experts, not 3/,
  );
  assert.throws(() => modelIR("bad", [], [binaryTask("ctr", "nowhere", "click")]), /\/tasks\/0\/head\/input: 'nowhere' is not a feature or an earlier node/);
  assert.throws(() => modelIR("bad", [], [binaryTask("user", "input", "click")]), /\/tasks\/0\/name: 'user' is declared twice \(first at \/features\/0\)/);
  assert.throws(
    () => modelIR("bad", [mlp("expert", "a", "input", [4]), mlp("expert", "b", "input", [5]), gate("g", "input", ["a", "b"], 2)], [binaryTask("ctr", "g", "click")]),
    /\/nodes\/3\/experts\/1: expert 'b' has width 5, but 'a' has 4/,
  );
});

test("each mlp activation is applied", () => {
  for (const activation of ["relu", "tanh", "sigmoid", "elu", "swish", "linear"] as const) {
    const ir = modelIR("act", [mlp("tower", "t", "input", [5, 3], { activation })], [binaryTask("ctr", "t", "click")]);
    const built = buildModel(ir);
    const raw = rawBatch(4, 9);
    const inputs = inputTensors(raw);
    const got = predictTasks(built.model, inputs);
    assertClose(got["ctr"]!.dataSync(), reference(ir, built.model, raw).tasks["ctr"]!, 1e-5, activation);
    tf.dispose([inputs, got]);
  }
});

/**
 * The layer plan is the one description of the network: the runtime
 * instantiates it and the TypeScript emitter prints it.
 */
import assert from "node:assert/strict";
import { before, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { buildModelFunction } from "../../src/codegen/typescript/model-code.js";
import { Scope } from "../../src/codegen/typescript/identifiers.js";
import { planLayers, type LayerPlan } from "../../src/plan/layer-plan.js";
import { buildModel, modelSize } from "../../src/runtime/graph/index.js";
import { compileSource } from "../../src/compiler.js";
import { readFileSync } from "node:fs";
import { exampleSpecs } from "../helpers/paths.js";
import { loadIr } from "../../src/ir/upgrade.js";
import { graphInputs } from "../../src/ir/blocks.js";
import { unblocked } from "../helpers/unblocked.js";
import type { ValidIR } from "../../src/ir/types.js";
import { MLP_CTORS } from "../../src/validation/schema.js";

before(async () => {
  await tf.setBackend("cpu");
});

const irOf = (file: string): ValidIR => compileSource(readFileSync(file, "utf8"), file).ir!;
const mmoe = () => irOf(exampleSpecs().find((f) => f.endsWith("/mmoe.mtl"))!);

test("changing a layer's configuration in the plan changes both the runtime model and the generated code", () => {
  const ir = mmoe();
  const plan = planLayers(ir);
  const layer = plan.layers.find((l) => l.spec.kind === "dense" && l.name.startsWith("expert_"))!;
  assert.equal(layer.spec.kind === "dense" && layer.spec.activation, "relu", "the example's experts use relu");
  const changed: LayerPlan = structuredClone(plan);
  const target = changed.layers.find((l) => l.name === layer.name)!;
  if (target.spec.kind !== "dense" || !("seed" in target.spec.kernelInitializer)) throw new Error("expected a seeded dense layer");
  target.spec.activation = "tanh";
  target.spec.kernelInitializer.seed = 12345;

  const config = (p: LayerPlan) => buildModel(ir, p).model.getLayer(layer.name).getConfig();
  assert.equal(config(plan)["activation"], "relu");
  assert.equal(config(changed)["activation"], "tanh");

  const code = (p: LayerPlan) => buildModelFunction(ir, new Scope(), p);
  const line = (source: string) => source.split("\n").find((l) => l.includes(`name: "${layer.name}"`))!;
  assert.match(line(code(plan)), /activation: "relu"/);
  assert.match(line(code(changed)), /activation: "tanh"/);
  assert.match(line(code(changed)), /kernelInitializer: tf\.initializers\.\w+\(\{ [^}]*seed: 12345 \}\)/);

  const weights = (p: LayerPlan) => buildModel(ir, p).model.getLayer(layer.name).getWeights()[0]!.dataSync();
  assert.notDeepEqual(Array.from(weights(changed)), Array.from(weights(plan)), "the initializer's seed reaches the runtime");
});

test("every example spec: unique layer names, steps in dependency order, the IR's widths, one output per task", () => {
  for (const file of exampleSpecs()) {
    const ir = irOf(file);
    const plan = planLayers(ir);
    const names = plan.layers.map((l) => l.name);
    assert.equal(new Set([...names, ...plan.inputs.map((i) => i.name)]).size, names.length + plan.inputs.length, `${file}: unique names`);
    const defined = new Set(plan.inputs.map((i) => i.name));
    for (const step of plan.steps) {
      for (const input of step.inputs) assert.ok(defined.has(input), `${file}: ${step.layer} reads ${input} before it is made`);
      defined.add(step.output);
    }
    assert.deepEqual(plan.outputs.length, ir.tasks.length);
    assert.deepEqual(plan.inputs.map((i) => i.name), graphInputs(ir).map((i) => i.name));
    assert.deepEqual(plan.inputs.map((i) => i.shape), graphInputs(ir).map((i) => (i.kind === "numericBlock" ? [i.features.length] : i.feature.kind === "sequence" ? [i.feature.maxLen] : [1])));
    const built = buildModel(ir, plan);
    assert.equal(modelSize(ir, plan).embedding + modelSize(ir, plan).dense, built.model.countParams(), `${file}: the plan counts every weight`);
    assert.deepEqual(built.model.layers.map((l) => l.name).sort(), [...plan.inputs.map((i) => i.name), ...names].sort(), `${file}: the model has exactly the plan's layers`);
  }
});

test("the plan is deterministic and its seeds follow train.seed", () => {
  const a = planLayers(mmoe());
  assert.deepEqual(planLayers(mmoe()), a);
  const reseeded = mmoe();
  reseeded.train.seed += 1;
  const b = planLayers(reseeded);
  assert.deepEqual(b.layers.map((l) => l.name), a.layers.map((l) => l.name));
  assert.notDeepEqual(b.layers, a.layers);
});

test("a product head multiplies the factor tasks' outputs; a dense binary head exposes its logit", () => {
  const ir = irOf(exampleSpecs().find((f) => f.endsWith("/esmm.mtl"))!);
  const plan = planLayers(ir);
  const ctcvr = plan.steps.find((s) => s.layer === "ctcvr")!;
  assert.deepEqual(ctcvr.inputs, ["ctr", "cvr"]);
  assert.equal(plan.layers.find((l) => l.name === "ctcvr")!.spec.kind, "multiply");
  assert.deepEqual(Object.keys(plan.logits).sort(), ["ctr", "cvr"]);
  assert.equal(plan.logits["ctr"], "task_ctr_head");
});

/** Four inputs; experts, a gate and towers each with their own `init` (one tower left at the default). */
const INIT_SPEC = `model inits
feature a : numeric()
feature b : numeric()
feature c : numeric()
feature d : numeric()
input x = concat(*)
expert e[2] = mlp(x, [25], init: torch)
gate g1 = softmax(x, init: he_uniform) over e
gate g2 = softmax(x) over e
tower t1 = mlp(g1, [8], init: lecun_uniform)
tower t2 = mlp(g2, [8], init: glorot_uniform)
task y1 : regression = t1 label y1
task y2 : regression = t2 label y2
`;

test("init: each choice reaches the IR and the plan, torch draws kernels and biases from ±1/sqrt(fan_in), heads follow their network", () => {
  const ir = compileSource(INIT_SPEC, "inits.mtl").ir!;
  const initOf = (name: string) => {
    const node = ir.nodes.find((n) => n.name === name)!;
    return node.op === "concat" ? undefined : node.init;
  };
  assert.deepEqual(["e", "g1", "g2", "t1", "t2"].map(initOf), ["torch", "he_uniform", MLP_CTORS.mlp.options.init.default, "lecun_uniform", "glorot_uniform"], "the IR records every network's init, the default included");

  const plan = planLayers(ir);
  const dense = (name: string) => {
    const spec = plan.layers.find((l) => l.name === name)!.spec;
    if (spec.kind !== "dense") throw new Error(`${name} is not dense`);
    return spec;
  };
  // The experts read x (4 inputs): bound 1/sqrt(4); kernel and bias drawn with different seeds.
  const expert = dense("expert_e_0_dense_0");
  assert.deepEqual({ ...expert.kernelInitializer, seed: 0 }, { type: "randomUniform", minval: -0.5, maxval: 0.5, seed: 0 });
  assert.deepEqual({ ...expert.biasInitializer, seed: 0 }, { type: "randomUniform", minval: -0.5, maxval: 0.5, seed: 0 });
  assert.notEqual((expert.kernelInitializer as { seed: number }).seed, (expert.biasInitializer as { seed: number }).seed);
  assert.equal(dense("gate_g1").kernelInitializer.type, "heUniform");
  assert.equal(dense("gate_g1").biasInitializer.type, "zeros");
  assert.equal(dense("tower_t1_dense_0").kernelInitializer.type, "leCunUniform");
  assert.equal(dense("task_y1_head").kernelInitializer.type, "leCunUniform", "a head starts as the tower it reads");
  assert.equal(dense("tower_t2_dense_0").kernelInitializer.type, "glorotUniform");
  assert.equal(dense("task_y2_head").kernelInitializer.type, "glorotUniform");

  // The runtime draws what the plan says: torch fills ±0.5 (not Glorot's ±sqrt(6/29) = ±0.45), biases included.
  const built = buildModel(ir, plan);
  const [kernel, bias] = built.model.getLayer("expert_e_0_dense_0").getWeights().map((w) => Array.from(w.dataSync()));
  const largest = (values: number[]) => Math.max(...values.map(Math.abs));
  assert.ok(largest(kernel!) <= 0.5 && largest(kernel!) > Math.sqrt(6 / 29), `torch kernel spans ±0.5, largest |w| ${largest(kernel!)}`);
  assert.ok(largest(bias!) <= 0.5 && bias!.filter((v) => v !== 0).length === 25, "torch biases are drawn, not zero");
  const [heKernel] = built.model.getLayer("gate_g1").getWeights().map((w) => Array.from(w.dataSync()));
  assert.ok(largest(heKernel!) <= Math.sqrt(6 / 4), `he_uniform stays within ±sqrt(6/fan_in), largest |w| ${largest(heKernel!)}`);

  // The generated TypeScript names the same initialisers with the same numbers.
  const code = buildModelFunction(ir, new Scope(), plan);
  assert.match(code, /name: "expert_e_0_dense_0"[^\n]*kernelInitializer: tf\.initializers\.randomUniform\(\{ minval: -0\.5, maxval: 0\.5, seed: \d+ \}\)/);
  assert.match(code, /name: "gate_g1"[^\n]*kernelInitializer: tf\.initializers\.heUniform\(\{ seed: \d+ \}\)/);
});

test("init: a version 2 IR, written before the option existed, upgrades to Glorot weights and zero biases everywhere", () => {
  const v2 = JSON.parse(JSON.stringify(unblocked(compileSource(INIT_SPEC, "inits.mtl").ir!))) as { irVersion: number; nodes: { init?: string }[]; numericBlocks?: unknown };
  delete v2.numericBlocks;
  v2.irVersion = 2;
  for (const node of v2.nodes) delete node.init;
  const loaded = loadIr(v2);
  assert.ok(loaded.ok, JSON.stringify(!loaded.ok && loaded.problems));
  for (const layer of planLayers(loaded.ir).layers) {
    if (layer.spec.kind !== "dense") continue;
    assert.equal(layer.spec.kernelInitializer.type, "glorotUniform", layer.name);
    assert.equal(layer.spec.biasInitializer.type, "zeros", layer.name);
  }
});

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
import type { ValidIR } from "../../src/ir/types.js";

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
  if (target.spec.kind !== "dense" || target.spec.kernelInitializer.type !== "glorotUniform") throw new Error("expected a seeded dense layer");
  target.spec.activation = "tanh";
  target.spec.kernelInitializer.seed = 12345;

  const config = (p: LayerPlan) => buildModel(ir, p).model.getLayer(layer.name).getConfig();
  assert.equal(config(plan)["activation"], "relu");
  assert.equal(config(changed)["activation"], "tanh");

  const code = (p: LayerPlan) => buildModelFunction(ir, new Scope(), p);
  const line = (source: string) => source.split("\n").find((l) => l.includes(`name: "${layer.name}"`))!;
  assert.match(line(code(plan)), /activation: "relu"/);
  assert.match(line(code(changed)), /activation: "tanh"/);
  assert.match(line(code(changed)), /glorotUniform\(\{ seed: 12345 \}\)/);

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
    assert.deepEqual(plan.inputs.map((i) => i.name), ir.features.map((f) => f.name));
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

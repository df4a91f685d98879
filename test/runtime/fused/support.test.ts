/**
 * Why a model is not fused is data (fusedUnsupported), and createTrainStep
 * takes the plain step, naming the first reason, whenever there is one.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { selectBackend } from "../../../src/runtime/backend/select.js";
import { buildModel } from "../../../src/runtime/graph/build-model.js";
import { createTrainStep } from "../../../src/runtime/graph/train-step.js";
import { fusedSimdOn, fusedUnsupported } from "../../../src/runtime/fused/support.js";
import type { ValidIR } from "../../../src/ir/types.js";
import { mmoeIR } from "../graph/fixtures.js";
import { specFiles, specIR } from "./fixtures.js";

before(async () => {
  await selectBackend("wasm");
});
after(() => selectBackend("cpu"));

const spec = (name: string): ValidIR => specIR(specFiles().find((s) => s.name === name)!.path);
const reasons = (ir: ValidIR, env: NodeJS.ProcessEnv = {}) => fusedUnsupported(ir, buildModel(ir).plan, { env });

test("a supported model has no reason; MTL_FUSED=off (any case) and the caller's { fused: false } are reasons", () => {
  const ir = spec("specs/mmoe.mtl");
  assert.deepEqual(reasons(ir), []);
  assert.deepEqual(reasons(ir, { MTL_FUSED: " OFF " }), ["turned off by MTL_FUSED"]);
  assert.deepEqual(reasons(ir, { MTL_FUSED: "on" }), []);
  assert.deepEqual(fusedUnsupported(ir, buildModel(ir).plan, { fused: false, env: {} }), ["the plain step was asked for"]);
  assert.deepEqual(fusedUnsupported(ir, buildModel(ir).plan, { sparse: false, env: {} }), ["dense training of the embedding tables was asked for"]);
});

test("each unsupported optimiser, weighting, layer and task feature is named", () => {
  const sgd = spec("specs/mmoe.mtl");
  sgd.train.optimizer = { type: "sgd", lr: 0.1, momentum: 0 };
  assert.deepEqual(reasons(sgd), ["optimizer sgd (only adam is fused)"]);
  assert.deepEqual(reasons(spec("specs/shared-bottom-gradnorm.mtl")), ["gradnorm task weighting"]);
  assert.ok(reasons(spec("specs/escm2.mtl")).includes("task 'cvr' is debiased"));
  assert.ok(reasons(spec("specs/aitm.mtl")).includes("AITM attention (not fused yet)"));
  // The runtime fixtures' sequence feature (a pooled history).
  assert.deepEqual(reasons(mmoeIR()), ["sequence features (not fused yet)"]);
  const gelu = spec("specs/mmoe.mtl");
  const experts = gelu.nodes.find((n) => n.op === "mlp")!;
  if (experts.op === "mlp") experts.activation = "gelu";
  assert.deepEqual(reasons(gelu), ["activation gelu (not fused yet)"]);
});

test("createTrainStep runs the plain step and names the first reason", () => {
  const before = process.env["MTL_FUSED"];
  process.env["MTL_FUSED"] = "off";
  try {
    const step = createTrainStep(buildModel(spec("specs/mmoe.mtl")));
    assert.equal(step.engine, "plain (turned off by MTL_FUSED)");
    assert.equal(step.runEncoded, undefined, "the plain step takes tensors");
    step.dispose();
  } finally {
    if (before === undefined) delete process.env["MTL_FUSED"];
    else process.env["MTL_FUSED"] = before;
  }
  const step = createTrainStep(buildModel(mmoeIR()));
  assert.equal(step.engine, "plain (sequence features (not fused yet))");
  step.dispose();
});

test("MTL_FUSED_SIMD: the SIMD kernels are on unless it turns them off (any case, any of the off words)", () => {
  assert.equal(fusedSimdOn({}), true);
  assert.equal(fusedSimdOn({ MTL_FUSED_SIMD: "on" }), true);
  for (const off of ["off", " OFF ", "0", "false", "no", "none"]) assert.equal(fusedSimdOn({ MTL_FUSED_SIMD: off }), false, off);
});

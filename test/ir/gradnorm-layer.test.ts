import assert from "node:assert/strict";
import { test } from "node:test";
import { compileSource } from "../../src/compiler.js";
import { gradNormLayers, gradNormNodes, lastSharedNetworks } from "../../src/ir/gradnorm-layer.js";
import { validateIr } from "../../src/ir/validate.js";
import { planLayers } from "../../src/plan/layer-plan.js";
import { specIr } from "../train/fixtures.js";

const EXPECTED: Record<string, string[]> = {
  "shared-bottom.mtl": ["expert_bottom_0_dense_1"],
  "mmoe.mtl": [0, 1, 2, 3].map((i) => `expert_e_${i}_dense_0`),
  "omoe.mtl": [0, 1, 2, 3].map((i) => `expert_e_${i}_dense_0`),
  // Level 1's experts all reach both tasks too, but level 2's shared experts read them.
  "ple.mtl": ["expert_shared2_0_dense_0", "expert_shared2_1_dense_0"],
  // ctcvr = ctr * cvr reads the CTR tower too: the one network both trained tasks (ctr, ctcvr) read.
  "esmm.mtl": ["tower_ctr_tower_dense_2"],
};

/** Shared-Bottom with its towers on the input: the tasks share no network. */
const UNSHARED = specIr("shared-bottom.mtl").text.replaceAll("mlp(bottom,", "mlp(x,");

for (const [name, layers] of Object.entries(EXPECTED)) {
  test(`GradNorm's W in ${name}: ${layers.length ? layers.join(", ") : "none"}, named as the layer plan names them`, () => {
    const { ir } = specIr(name);
    assert.deepEqual(gradNormLayers(ir), layers);
    const planned = new Set(planLayers(ir).layers.filter((l) => l.spec.kind === "dense").map((l) => l.name));
    for (const layer of layers) assert.ok(planned.has(layer), `${layer} is a Dense layer of the plan`);
  });
}

test("the checker and the IR gate refuse gradnorm exactly where no network is shared", () => {
  for (const name of [...Object.keys(EXPECTED), "unshared"]) {
    const text = name === "unshared" ? UNSHARED : specIr(name).text;
    const result = compileSource(text.replace(/train \{/, "train {\n  weighting: gradnorm"), name);
    const refused = result.diagnostics.some((d) => d.code === "MTL3035");
    assert.equal(refused, name === "unshared", `${name}: MTL3035 ${refused ? "reported" : "not reported"}`);
    assert.equal(result.ir === undefined, refused, `${name}: an IR only without the error`);
    // The gate refuses the same IR when it is written by hand.
    const ir = structuredClone(compileSource(text, name).ir!);
    ir.train.weighting = { type: "gradnorm", alpha: 1.5, lr: 0.01 };
    const problems = validateIr(ir);
    assert.equal(problems.some((p) => p.path === "/train/weighting"), refused, `${name}: the gate ${JSON.stringify(problems)}`);
    if (!refused) assert.deepEqual(gradNormNodes(ir).length > 0, true);
  }
});

test("shared networks nearest the tasks: a parallel pair both count, one read by another does not", () => {
  const deps: Record<string, string[]> = { a: ["x"], b: ["x"], c: ["a"], t1: ["a", "b", "c"], t2: ["b", "c"], x: [] };
  const isNet = (n: string) => n !== "x";
  // t1 and t2 share b and c (and a through c); a is below c, so b and c remain.
  assert.deepEqual(lastSharedNetworks([["t1"], ["t2"]], (n) => deps[n]!, isNet).sort(), ["b", "c"]);
  assert.deepEqual(lastSharedNetworks([["a"], ["b"]], (n) => deps[n]!, isNet), []);
  assert.deepEqual(lastSharedNetworks([], (n) => deps[n]!, isNet), []);
});

test("the GradNorm example spec lowers its weighting with its options, W at the bottom's last layer", () => {
  const { ir } = specIr("shared-bottom-gradnorm.mtl");
  assert.deepEqual(ir.train.weighting, { type: "gradnorm", alpha: 1.5, lr: 0.01 });
  assert.deepEqual(gradNormLayers(ir), ["expert_bottom_0_dense_1"]);
});

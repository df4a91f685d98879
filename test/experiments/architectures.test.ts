import assert from "node:assert/strict";
import { test } from "node:test";
import { compileSource } from "../../src/compiler.js";
import { ARCHITECTURES, architectureDecls, matchingBottomUnits, parameterCount, parameterMatched } from "../../src/experiments/architectures.js";
import { syntheticSpec } from "../../src/experiments/mmoe-synthetic/specs.js";
import { selectBackend } from "../../src/runtime/backend/select.js";

const train = { lr: 0.001, batch: 64, epochs: 1, seed: 3 };

test("the three architectures differ only in how the towers reach the experts", () => {
  const tasks = [{ name: "a", type: "binary" as const, clauses: "label a" }, { name: "b", type: "binary" as const, clauses: "label b" }];
  const shape = { experts: 4, expertUnits: 8, towerUnits: 2, bottomUnits: 30 };
  assert.equal(
    architectureDecls("mmoe", shape, tasks),
    ["expert e[4] = mlp(x, [8])", "gate g_a = softmax(x) over e", "gate g_b = softmax(x) over e", "tower a_tower = mlp(g_a, [2])", "tower b_tower = mlp(g_b, [2])", "task a : binary = a_tower label a", "task b : binary = b_tower label b"].join("\n"),
  );
  assert.match(architectureDecls("omoe", shape, tasks), /gate g = softmax\(x\) over e\ntower a_tower = mlp\(g, \[2\]\)\ntower b_tower = mlp\(g, \[2\]\)/);
  assert.match(architectureDecls("shared-bottom", shape, tasks), /expert bottom = mlp\(x, \[30\]\)\ntower a_tower = mlp\(bottom, \[2\]\)/);
});

test("the synthetic specs compile: 100 inputs, two MSE regressions, the paper's shapes", async () => {
  await selectBackend();
  for (const arch of ARCHITECTURES) {
    const ir = compileSource(syntheticSpec(arch, 113, train, 100), `${arch}.mtl`).ir!;
    assert.equal(ir.features.length, 100);
    assert.deepEqual(ir.tasks.map((t) => [t.name, t.type, t.loss.type]), [["y1", "regression", "mse"], ["y2", "regression", "mse"]]);
    assert.equal(ir.train.seed, 3);
  }
  // 8 experts of 16 over 100 inputs, 2 gates, 2 towers of 8, 2 heads.
  assert.equal(parameterCount(syntheticSpec("mmoe", 1, train, 100), "m.mtl"), 8 * (100 * 16 + 16) + 2 * (100 * 8 + 8) + 2 * (16 * 8 + 8) + 2 * 9);
});

test("matchingBottomUnits finds the Shared-Bottom width closest to a parameter count", async () => {
  await selectBackend();
  const target = parameterCount(syntheticSpec("mmoe", 1, train, 100), "m.mtl");
  const units = matchingBottomUnits((u) => syntheticSpec("shared-bottom", u, train, 100), target);
  const count = (u: number) => parameterCount(syntheticSpec("shared-bottom", u, train, 100), "sb.mtl");
  const gap = Math.abs(count(units) - target);
  assert.ok(gap <= Math.abs(count(units - 1) - target) && gap <= Math.abs(count(units + 1) - target), `width ${units} is the closest`);
});

test("parameterMatched gives Shared-Bottom about MMoE's parameter count and counts every architecture", async () => {
  await selectBackend();
  const { bottomUnits, params } = parameterMatched((arch, units) => syntheticSpec(arch, units, train, 100));
  // One unit of width is worth 100 input weights + a bias + 8 weights in each of the 2 towers = 117 parameters.
  assert.ok(Math.abs(params["shared-bottom"] - params.mmoe) <= 117 / 2, JSON.stringify(params));
  assert.equal(params["shared-bottom"], parameterCount(syntheticSpec("shared-bottom", bottomUnits, train, 100), "sb.mtl"));
  assert.ok(params.omoe < params.mmoe, "OMoE has one gate fewer");
});

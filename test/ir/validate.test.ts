import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { test } from "node:test";
import { compileSource } from "../../src/compiler.js";
import type { ModelIR } from "../../src/ir/types.js";
import { validateIr, type IrViolation } from "../../src/ir/validate.js";
import { exampleSpecs, repoRoot } from "../helpers/paths.js";

const SPECS = exampleSpecs();

function irOf(path: string): ModelIR {
  const result = compileSource(readFileSync(path), path);
  assert.ok(result.ir, `${basename(path)} does not compile: ${result.diagnostics.map((d) => d.message).join("; ")}`);
  return result.ir;
}

/** A JSON-only deep copy, mutable with plain property access. */
type Json = Record<string, any>;
function mutated(ir: ModelIR, change: (ir: Json) => void): Json {
  const copy = JSON.parse(JSON.stringify(ir)) as Json;
  change(copy);
  return copy;
}

function show(violations: IrViolation[]): string {
  return violations.map((v) => `${v.path || "/"}: ${v.message}`).join("\n") || "(no violations)";
}

/** Index of the first node with this op (and role), so tests follow the IR rather than hard-code it. */
function nodeIndex(ir: ModelIR, op: string, role?: string): number {
  const i = ir.nodes.findIndex((n) => n.op === op && (role === undefined || n.role === role));
  assert.ok(i >= 0, `no ${op} node`);
  return i;
}

const MMOE = irOf(join(repoRoot(), "specs", "mmoe.mtl"));
const ESMM_GMV = irOf(join(repoRoot(), "specs", "esmm-mmoe-gmv.mtl"));

test("every example spec's IR validates, also after a JSON round trip", () => {
  for (const spec of SPECS) {
    const ir = irOf(spec);
    assert.deepEqual(validateIr(ir), [], `${basename(spec)}:\n${show(validateIr(ir))}`);
    assert.deepEqual(validateIr(JSON.parse(JSON.stringify(ir))), [], basename(spec));
  }
});

test("the example IRs are non-trivial and use the shapes the schema constrains", () => {
  assert.ok(MMOE.tasks.length >= 2);
  const ops = new Set(SPECS.flatMap((s) => irOf(s).nodes.map((n) => n.op)));
  assert.deepEqual([...ops].sort(), ["concat", "gate", "mlp"]);
  const heads = new Set(SPECS.flatMap((s) => irOf(s).tasks.map((t) => t.head.op)));
  assert.deepEqual([...heads].sort(), ["dense", "product"]);
});

test("not an object at all is rejected at the root", () => {
  for (const value of [null, [], 42, "ir", undefined]) {
    const violations = validateIr(value);
    assert.ok(violations.length > 0, `${JSON.stringify(value)} was accepted`);
    assert.ok(violations.some((v) => v.path === ""), show(violations));
  }
  const empty = validateIr({});
  for (const key of ["irVersion", "model", "data", "features", "tables", "nodes", "tasks", "train"]) {
    assert.ok(empty.some((v) => v.path === "" && v.message.includes(`'${key}'`)), `{} does not report missing '${key}':\n${show(empty)}`);
  }
});

test("a negative weight in tasks[1] is reported at /tasks/1/weight", () => {
  const violations = validateIr(mutated(MMOE, (ir) => (ir["tasks"][1].weight = -0.5)));
  assert.deepEqual(violations.map((v) => v.path), ["/tasks/1/weight"], show(violations));
  assert.match(violations[0]!.message, />= 0/);
});

test("out-of-range numbers are reported at their own path", () => {
  const batch = validateIr(mutated(MMOE, (ir) => (ir["train"].batch = 0)));
  assert.deepEqual(batch.map((v) => v.path), ["/train/batch"], show(batch));
  const version = validateIr(mutated(MMOE, (ir) => (ir["irVersion"] = 3)));
  assert.deepEqual(version.map((v) => v.path), ["/irVersion"], show(version));
  const seed = validateIr(mutated(MMOE, (ir) => (ir["train"].seed = 1.5)));
  assert.deepEqual(seed.map((v) => v.path), ["/train/seed"], show(seed));
});

test("an unknown extra property is reported where it is, naming it", () => {
  const top = validateIr(mutated(MMOE, (ir) => (ir["extra"] = true)));
  assert.deepEqual(top, [{ path: "", message: "unexpected property 'extra'" }]);
  const task = validateIr(mutated(MMOE, (ir) => (ir["tasks"][0].colour = "red")));
  assert.deepEqual(task, [{ path: "/tasks/0", message: "unexpected property 'colour'" }]);
  const train = validateIr(mutated(MMOE, (ir) => (ir["train"].momentum = 0.9)));
  assert.deepEqual(train, [{ path: "/train", message: "unexpected property 'momentum'" }]);
});

// Nodes, features, losses and optimizers are `oneOf` unions; a violation
// inside the matching branch must still be reported at the offending value,
// not drowned by the other branches' complaints.

test("a missing `width` on an mlp node is reported at that node, naming `width`", () => {
  const i = nodeIndex(MMOE, "mlp", "expert");
  const violations = validateIr(mutated(MMOE, (ir) => delete ir["nodes"][i].width));
  assert.ok(violations.length > 0, "accepted a node without width");
  assert.ok(
    violations.some((v) => v.path === `/nodes/${i}` && v.message.includes("width")),
    `expected a violation at /nodes/${i} naming 'width', got:\n${show(violations)}`,
  );
});

test("a missing `width` on a gate node is reported at that node, naming `width`", () => {
  const i = nodeIndex(MMOE, "gate");
  const violations = validateIr(mutated(MMOE, (ir) => delete ir["nodes"][i].width));
  assert.ok(
    violations.some((v) => v.path === `/nodes/${i}` && v.message.includes("width")),
    `expected a violation at /nodes/${i} naming 'width', got:\n${show(violations)}`,
  );
});

test("an unknown extra property on a node is reported at that node, naming the property", () => {
  const i = nodeIndex(MMOE, "mlp", "tower");
  const violations = validateIr(mutated(MMOE, (ir) => (ir["nodes"][i].colour = "red")));
  assert.ok(
    violations.some((v) => v.path === `/nodes/${i}` && v.message.includes("colour")),
    `expected a violation at /nodes/${i} naming 'colour', got:\n${show(violations)}`,
  );
});

test("a wrong enum value (activation 'relux') is reported at /nodes/<i>/activation", () => {
  const i = nodeIndex(MMOE, "mlp", "expert");
  const violations = validateIr(mutated(MMOE, (ir) => (ir["nodes"][i].activation = "relux")));
  assert.ok(violations.some((v) => v.path === `/nodes/${i}/activation`), show(violations));
});

test("a gate with experts: [] is reported at /nodes/<i>/experts", () => {
  const i = nodeIndex(MMOE, "gate");
  const violations = validateIr(mutated(MMOE, (ir) => (ir["nodes"][i].experts = [])));
  assert.ok(violations.some((v) => v.path === `/nodes/${i}/experts`), show(violations));
});

test("other in-branch violations of nodes are reported at the offending value", () => {
  const i = nodeIndex(MMOE, "mlp", "expert");
  const units = validateIr(mutated(MMOE, (ir) => (ir["nodes"][i].units = [])));
  assert.ok(units.some((v) => v.path === `/nodes/${i}/units`), show(units));
  const dropout = validateIr(mutated(MMOE, (ir) => (ir["nodes"][i].dropout = 1)));
  assert.ok(dropout.some((v) => v.path === `/nodes/${i}/dropout`), show(dropout));
  const name = validateIr(mutated(MMOE, (ir) => (ir["nodes"][i].name = "1bad")));
  assert.ok(name.some((v) => v.path === `/nodes/${i}/name`), show(name));
});

test("violations inside a union do not blame a discriminator that is correct", () => {
  // The node is an mlp and says so; complaints that its `op` or `role` is
  // wrong come from the other oneOf branches and mislead whoever reads them.
  const i = nodeIndex(MMOE, "mlp", "expert");
  for (const [what, change] of [
    ["activation 'relux'", (ir: Json) => (ir["nodes"][i].activation = "relux")],
    ["missing width", (ir: Json) => delete ir["nodes"][i].width],
    ["extra property", (ir: Json) => (ir["nodes"][i].colour = "red")],
  ] as const) {
    const violations = validateIr(mutated(MMOE, change));
    assert.ok(violations.length > 0, `${what} accepted`);
    const blamed = violations.filter((v) => v.path === `/nodes/${i}/op` || v.path === `/nodes/${i}/role`);
    assert.deepEqual(blamed, [], `${what}: the correct op/role is blamed:\n${show(violations)}`);
  }
});

test("a missing `width` on a feature is reported at that feature, naming `width`", () => {
  const violations = validateIr(mutated(MMOE, (ir) => delete ir["features"][0].width));
  assert.ok(
    violations.some((v) => v.path === "/features/0" && v.message.includes("width")),
    `expected a violation at /features/0 naming 'width', got:\n${show(violations)}`,
  );
});

test("a huber loss without delta is reported at the loss, naming `delta`", () => {
  const t = ESMM_GMV.tasks.findIndex((task) => task.loss.type === "huber");
  assert.ok(t >= 0);
  const violations = validateIr(mutated(ESMM_GMV, (ir) => delete ir["tasks"][t].loss.delta));
  assert.ok(
    violations.some((v) => v.path === `/tasks/${t}/loss` && v.message.includes("delta")),
    `expected a violation at /tasks/${t}/loss naming 'delta', got:\n${show(violations)}`,
  );
});

test("a product head needs two factors", () => {
  const t = ESMM_GMV.tasks.findIndex((task) => task.head.op === "product");
  const violations = validateIr(mutated(ESMM_GMV, (ir) => (ir["tasks"][t].head.factors = ["ctr"])));
  assert.ok(violations.some((v) => v.path === `/tasks/${t}/head/factors`), show(violations));
});

test("every mutation of a valid IR is rejected, and the valid IR is left as it was", () => {
  const before = JSON.stringify(MMOE);
  const changes: ((ir: Json) => void)[] = [
    (ir) => (ir["tasks"][1].weight = -1),
    (ir) => delete ir["nodes"][1].width,
    (ir) => (ir["nodes"][1].extra = 1),
    (ir) => (ir["nodes"][1].activation = "relux"),
    (ir) => (ir["nodes"][nodeIndex(MMOE, "gate")].experts = []),
    (ir) => (ir["features"] = []),
    (ir) => (ir["tasks"] = []),
    (ir) => (ir["tasks"][0].type = "multiclass"),
    (ir) => (ir["data"].format = "xlsx"),
    (ir) => (ir["train"].optimizer = { type: "adam", lr: 0 }),
  ];
  for (const [k, change] of changes.entries()) {
    assert.ok(validateIr(mutated(MMOE, change)).length > 0, `mutation #${k} was accepted`);
  }
  assert.equal(JSON.stringify(MMOE), before, "validateIr or the test mutated the original IR");
  assert.deepEqual(validateIr(MMOE), []);
});

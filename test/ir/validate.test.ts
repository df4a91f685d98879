import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { test } from "node:test";
import { compileSource } from "../../src/compiler.js";
import type { GateNodeIR, ModelIR } from "../../src/ir/types.js";
import { assertValidIr, firstProblem, parseIr, validateIr, type IrViolation } from "../../src/ir/validate.js";
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
  const version = validateIr(mutated(MMOE, (ir) => (ir["irVersion"] = 99)));
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

test("a missing `units` on an mlp node is reported at that node, naming `units`", () => {
  const i = nodeIndex(MMOE, "mlp", "expert");
  const violations = validateIr(mutated(MMOE, (ir) => delete ir["nodes"][i].units));
  assert.ok(violations.length > 0, "accepted a node without units");
  assert.ok(
    violations.some((v) => v.path === `/nodes/${i}` && v.message.includes("units")),
    `expected a violation at /nodes/${i} naming 'units', got:\n${show(violations)}`,
  );
});

test("a missing `numExperts` on a gate node is reported at that node, naming `numExperts`", () => {
  const i = nodeIndex(MMOE, "gate");
  const violations = validateIr(mutated(MMOE, (ir) => delete ir["nodes"][i].numExperts));
  assert.ok(
    violations.some((v) => v.path === `/nodes/${i}` && v.message.includes("numExperts")),
    `expected a violation at /nodes/${i} naming 'numExperts', got:\n${show(violations)}`,
  );
});

test("a width is stated once: a node or feature that still carries one (version 2) is refused", () => {
  const node = validateIr(mutated(MMOE, (ir) => (ir["nodes"][0].width = 41)));
  assert.deepEqual(node, [{ path: "/nodes/0", message: "unexpected property 'width'" }]);
  const feature = validateIr(mutated(MMOE, (ir) => (ir["features"][0].width = 16)));
  assert.deepEqual(feature, [{ path: "/features/0", message: "unexpected property 'width'" }]);
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
    ["missing units", (ir: Json) => delete ir["nodes"][i].units],
    ["extra property", (ir: Json) => (ir["nodes"][i].colour = "red")],
  ] as const) {
    const violations = validateIr(mutated(MMOE, change));
    assert.ok(violations.length > 0, `${what} accepted`);
    const blamed = violations.filter((v) => v.path === `/nodes/${i}/op` || v.path === `/nodes/${i}/role`);
    assert.deepEqual(blamed, [], `${what}: the correct op/role is blamed:\n${show(violations)}`);
  }
});

test("a missing `column` on a feature is reported at that feature, naming `column`", () => {
  const violations = validateIr(mutated(MMOE, (ir) => delete ir["features"][0].column));
  assert.ok(
    violations.some((v) => v.path === "/features/0" && v.message.includes("column")),
    `expected a violation at /features/0 naming 'column', got:\n${show(violations)}`,
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
    (ir) => delete ir["nodes"][1].units,
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

// Beyond shape: the gate checks what JSON Schema cannot, so back ends need not.

const ESMM = irOf(join(repoRoot(), "specs", "esmm.mtl"));

/** The problems of `ir` after `change`, and that parseIr refuses it with exactly those. */
function crossProblems(ir: ModelIR, change: (ir: Json) => void): IrViolation[] {
  const value = mutated(ir, change);
  const result = parseIr(value);
  assert.equal(result.ok, false, "the gate let it through");
  return result.ok ? [] : result.problems;
}

test("a valid IR comes out of the gate as itself, branded", () => {
  const result = parseIr(MMOE);
  assert.ok(result.ok);
  assert.equal(result.ir, MMOE);
});

test("a dangling or out-of-order name is reported where it is used", () => {
  const tower = nodeIndex(MMOE, "mlp", "tower");
  assert.deepEqual(crossProblems(MMOE, (ir) => (ir["nodes"][tower].input = "nowhere")), [{ path: `/nodes/${tower}/input`, message: "'nowhere' is not a feature or an earlier node" }]);
  // A node may read only what precedes it: move the first tower before everything it reads.
  const moved = crossProblems(MMOE, (ir) => ir["nodes"].unshift(ir["nodes"].splice(tower, 1)[0]));
  assert.deepEqual(moved.map((p) => p.path), ["/nodes/0/input"], show(moved));
  const gate = nodeIndex(MMOE, "gate");
  assert.deepEqual(crossProblems(MMOE, (ir) => (ir["nodes"][gate].experts = ["x"])), [{ path: `/nodes/${gate}/experts/0`, message: "'x' is not an earlier expert" }]);
  assert.deepEqual(crossProblems(MMOE, (ir) => (ir["tasks"][0].head.input = "cvr")), [{ path: "/tasks/0/head/input", message: "'cvr' is not a feature or an earlier node" }]);
});

test("tables: a feature's table exists and has as many rows as its ids; a sequence shares its `of`'s table", () => {
  assert.deepEqual(crossProblems(MMOE, (ir) => (ir["features"][0].table = "gone")), [{ path: "/features/0/table", message: "table 'gone' is not declared" }]);
  const rows = crossProblems(MMOE, (ir) => (ir["tables"][0].rows += 1));
  assert.equal(rows.length, 1, show(rows));
  assert.equal(rows[0]!.path, "/tables/0/rows");
  assert.match(rows[0]!.message, /produces ids in \[0, \d+\)/);
  assert.deepEqual(crossProblems(MMOE, (ir) => ir["tables"].push({ ...ir["tables"][0] })), [{ path: `/tables/${MMOE.tables.length}/name`, message: `table '${MMOE.tables[0]!.name}' is declared twice` }]);
  const source = "model s\nfeature item : categorical(buckets: 10, dim: 4)\nfeature hist : sequence(of: item, max_len: 3)\nfeature price : numeric()\ninput x = concat(*)\ntower t = mlp(x, [4])\ntask ctr : binary = t label click\n";
  const withSequence = compileSource(source, "s.mtl").ir!;
  assert.deepEqual(crossProblems(withSequence, (ir) => (ir["features"][1].of = "price")), [{ path: "/features/1/of", message: "'price' is not a categorical feature" }]);
  assert.deepEqual(crossProblems(withSequence, (ir) => (ir["features"][1].table = "hist")), [{ path: "/features/1/table", message: "table 'hist' is not declared" }]);
});

test("names are one namespace: a task named like a feature is a clash", () => {
  const feature = MMOE.features[0]!.name;
  const problems = crossProblems(MMOE, (ir) => (ir["tasks"][0].name = feature));
  assert.deepEqual(problems[0], { path: "/tasks/0/name", message: `'${feature}' is declared twice (first at /features/0)` });
});

test("tasks: products follow their factors and have their factors' type; a loss fits its task", () => {
  const ctcvr = ESMM.tasks.findIndex((t) => t.name === "ctcvr");
  const reordered = crossProblems(ESMM, (ir) => ir["tasks"].unshift(ir["tasks"].splice(ctcvr, 1)[0]));
  assert.ok(reordered.some((p) => p.path === "/tasks/0/head/factors/0" && p.message === "'ctr' is not an earlier task"), show(reordered));
  assert.deepEqual(crossProblems(ESMM, (ir) => (ir["tasks"][ctcvr].type = "regression"))[0], { path: `/tasks/${ctcvr}/type`, message: "a product of these factors is binary, not regression" });
  assert.deepEqual(crossProblems(ESMM, (ir) => (ir["tasks"][0].loss = { type: "mse" })), [{ path: "/tasks/0/loss/type", message: "a binary task takes bce, not mse" }]);
  assert.deepEqual(crossProblems(ESMM, (ir) => (ir["tasks"][ctcvr].head.factors = ["ctr", "ctr"])), [{ path: `/tasks/${ctcvr}/head/factors/1`, message: "'ctr' is multiplied twice" }]);
});

test("masks and evaluation name labelled tasks and agree with them", () => {
  const cvr = MMOE.tasks.findIndex((t) => t.where !== null);
  assert.ok(cvr >= 0 && MMOE.tasks[cvr]!.where!.task === "ctr", "mmoe.mtl's cvr is masked by ctr's label");
  assert.deepEqual(crossProblems(MMOE, (ir) => (ir["tasks"][cvr].where.column = "other")), [{ path: `/tasks/${cvr}/where`, message: "the mask is task 'ctr''s label, so its column and positives must be that label's" }]);
  assert.deepEqual(crossProblems(MMOE, (ir) => (ir["tasks"][cvr].where.task = "nobody")), [{ path: `/tasks/${cvr}/where/task`, message: "'nobody' is not a labelled binary task" }]);
  const latent = ESMM.tasks.findIndex((t) => t.label === null);
  assert.deepEqual(ESMM.tasks[latent]!.evaluation, { label: "ctcvr", given: ["ctr"] });
  assert.deepEqual(crossProblems(ESMM, (ir) => (ir["tasks"][latent].evaluation.label = "cvr")), [{ path: `/tasks/${latent}/evaluation/label`, message: "'cvr' is not a labelled task" }]);
  assert.deepEqual(crossProblems(ESMM, (ir) => (ir["tasks"][0].evaluation = null)), [{ path: "/tasks/0/evaluation", message: "a labelled task is scored against its label" }]);
});

test("a gate mixes experts of one width and counts them right", () => {
  const gate = nodeIndex(MMOE, "gate");
  const experts = (MMOE.nodes[gate] as GateNodeIR).numExperts;
  assert.deepEqual(crossProblems(MMOE, (ir) => (ir["nodes"][gate].numExperts = experts + 1)), [{ path: `/nodes/${gate}/numExperts`, message: `the groups hold ${experts} experts, not ${experts + 1}` }]);
});

test("assertValidIr names every problem of a compiler-made IR; firstProblem words one for a file message", () => {
  const bad = mutated(MMOE, (ir) => (ir["tasks"][0].weight = -1)) as ModelIR;
  assert.throws(() => assertValidIr(bad), /the compiler produced an invalid IR:\n {2}\/tasks\/0\/weight: must be >= 0/);
  assert.equal(firstProblem(validateIr({ ...MMOE, extra: 1 })), "/: unexpected property 'extra'");
});

test("AITM's transfer: from an earlier dense binary task into a dense binary task, calibrate at least 0", () => {
  const AITM = irOf(join(repoRoot(), "specs", "aitm.mtl"));
  assert.deepEqual(AITM.tasks.map((t) => [t.name, t.transfer]), [["ctr", undefined], ["ctcvr", { from: "ctr", calibrate: 0.6 }]]);
  // Out of order: the task the transfer comes from must precede it (so the links cannot cycle).
  const reversed = crossProblems(AITM, (ir) => ir["tasks"].reverse());
  assert.deepEqual(reversed, [{ path: "/tasks/0/transfer/from", message: "'ctr' is not an earlier dense binary task" }]);
  assert.deepEqual(crossProblems(AITM, (ir) => (ir["tasks"][1].transfer.from = "ctcvr")), [{ path: "/tasks/1/transfer/from", message: "'ctcvr' is not an earlier dense binary task" }]);
  // From a product, into a product.
  assert.deepEqual(crossProblems(ESMM, (ir) => (ir["tasks"][2].transfer = { from: "ctr", calibrate: 0 })), [{ path: "/tasks/2/transfer", message: "only a dense binary task receives a transfer" }]);
  const fromProduct = crossProblems(ESMM, (ir) => ir["tasks"].push({ ...ir["tasks"][0], name: "later", evaluation: { label: "later", given: [] }, transfer: { from: "ctcvr", calibrate: 0 } }));
  assert.deepEqual(fromProduct.map((p) => p.path), [`/tasks/${ESMM.tasks.length}/transfer/from`], show(fromProduct));
  assert.ok(validateIr(mutated(AITM, (ir) => (ir["tasks"][1].transfer.calibrate = -1))).length > 0, "a negative calibrator weight was accepted");
  assert.ok(validateIr(mutated(AITM, (ir) => (ir["tasks"][1].transfer.extra = 1))).length > 0, "an unknown transfer field was accepted");
});

test("the gate refuses a debias whose propensity, mask or imputation does not mean what ESCM² needs", () => {
  const ESCM2 = irOf(join(repoRoot(), "specs", "escm2.mtl"));
  const cvr = ESCM2.tasks.findIndex((t) => t.debias !== undefined);
  assert.ok(cvr >= 0 && ESCM2.tasks[cvr]!.debias!.type === "dr");
  assert.deepEqual(validateIr(ESCM2), []);
  const refused = (change: (task: Json, ir: Json) => void, path: string, says: RegExp) => {
    const violations = validateIr(mutated(ESCM2, (ir) => change(ir.tasks[cvr], ir)));
    assert.ok(violations.some((v) => v.path === `/tasks/${cvr}${path}` && says.test(v.message)), show(violations));
  };
  refused((t) => (t.debias.propensity = "ctcvr"), "/debias/propensity", /does not label the task's mask/);
  refused((t) => (t.debias.propensity = "imp"), "/debias/propensity", /not a labelled binary task/);
  refused((t) => (t.where = null), "/debias", /with a mask/);
  refused((t) => (t.debias.imputation = "ctr"), "/debias/imputation", /latent regression task/);
  refused((t) => (t.debias.clip = 0), "/debias/clip", /.+/);
  refused((t) => (t.debias.type = "ipw"), "/debias/type", /allowed values/);
  // An IR from before `debias` (no field) stays valid.
  assert.deepEqual(validateIr(mutated(ESCM2, (ir) => delete ir.tasks[cvr].debias)), []);
});

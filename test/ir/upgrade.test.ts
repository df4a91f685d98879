import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { loadIr, upgradeIr } from "../../src/ir/upgrade.js";
import { IR_VERSION, type ValidIR } from "../../src/ir/types.js";
import { validateIr } from "../../src/ir/validate.js";
import { compileSource } from "../../src/compiler.js";
import { scoringPlan } from "../../src/evaluate/evaluate.js";
import { repoRoot } from "../helpers/paths.js";

/**
 * Every example spec's IR as mtl wrote it at IR version 2 (before widths were
 * stated once and task semantics carried in the IR), and how evaluation
 * scored each task then: the IR and scoringPlan of commit 427cb79.
 */
const V2 = JSON.parse(readFileSync(join(repoRoot(), "test", "ir", "fixtures", "ir-v2.json"), "utf8")) as Record<
  string,
  { ir: Record<string, any>; scoring: { task: string; labelOf: string; maskOf: string[]; whereOf: string | null; on: string }[] }
>;

function currentIr(spec: string): ValidIR {
  const file = join(repoRoot(), "specs", spec);
  const ir = compileSource(readFileSync(file), file).ir;
  assert.ok(ir, spec);
  return ir;
}

test("every example spec's version 2 IR upgrades to exactly the IR the compiler now writes, through the gate, but for the init it was trained with", () => {
  assert.equal(Object.keys(V2).length, 7);
  for (const [spec, old] of Object.entries(V2)) {
    assert.equal(old.ir["irVersion"], 2);
    const loaded = loadIr(old.ir);
    assert.ok(loaded.ok, `${spec}: ${loaded.ok ? "" : JSON.stringify(loaded.problems)}`);
    // Version 2 had no `init` option: every model was glorot_uniform, which the compiler now writes only when asked.
    const now = currentIr(spec);
    const asTrained = { ...now, nodes: now.nodes.map((n) => (n.op === "concat" ? n : { ...n, init: "glorot_uniform" })) };
    assert.deepEqual(loaded.ir, asTrained, spec);
    assert.ok(now.nodes.some((n) => n.op !== "concat" && n.init === "torch"), `${spec}: the default init differs from the one version 2 used, so this test checks the upgrade writes it`);
  }
  // Version 2 concatenated census's seven numeric columns one by one; upgraded, they are one block, as the compiler now lowers them.
  const census = loadIr(V2["census-mmoe.mtl"]!.ir);
  assert.ok(census.ok);
  assert.equal(census.ir.numericBlocks[0]?.features.length, 7);
});

test("an upgraded IR is scored by evaluation exactly as version 2 was (ESMM's cvr against purchase on clicked rows)", () => {
  for (const [spec, old] of Object.entries(V2)) {
    const loaded = loadIr(old.ir);
    assert.ok(loaded.ok);
    const plan = scoringPlan(loaded.ir).map((s) => ({ task: s.task.name, labelOf: s.labelOf, maskOf: s.maskOf, whereOf: s.whereOf, on: s.on }));
    assert.deepEqual(plan, old.scoring, spec);
  }
  assert.deepEqual(V2["esmm.mtl"]!.scoring.find((s) => s.task === "cvr"), { task: "cvr", labelOf: "ctcvr", maskOf: ["ctr"], whereOf: null, on: "click = 1" });
});

test("a version 2 where that repeats a task's label names that task; one of its own does not", () => {
  const gmv = (loadIr(V2["esmm-mmoe-gmv.mtl"]!.ir) as { ir: ValidIR }).ir.tasks.find((t) => t.name === "gmv")!;
  assert.deepEqual(gmv.where, { column: "purchase", positives: null, task: "ctcvr" });
  const census = (loadIr(V2["census-mmoe.mtl"]!.ir) as { ir: ValidIR }).ir;
  for (const task of census.tasks) if (task.where) assert.equal(task.where.task, null, `${task.name}: its where is no task's label`);
});

const SPEC = `model m
feature a : numeric()
tower t = mlp(a, [4])
task ctr : binary = t label click
task income : binary = t label income is "50000+." where stage is "clicked"
`;

/** The IR of SPEC as mtl 0.1 (IR version 1) wrote it: one `positive` string or null per label and where, widths stated. */
function versionOne(): Record<string, unknown> {
  const ir = JSON.parse(JSON.stringify(compileSource(SPEC, "m.mtl").ir)) as { irVersion: number; features: Record<string, unknown>[]; nodes: Record<string, unknown>[]; tasks: Record<string, unknown>[] };
  ir.irVersion = 1;
  ir.features[0]!["width"] = 1;
  ir.nodes[0]!["width"] = 4;
  for (const task of ir.tasks) {
    delete task["evaluation"];
    for (const key of ["label", "where"]) {
      const label = task[key] as { column: string; positives?: string[] | null } | null;
      if (label) task[key] = { column: label.column, positive: label.positives ? label.positives[0] : null };
    }
  }
  return ir;
}

test("a version 1 IR reads as the current version, its positive values as one-value lists", () => {
  const upgraded = upgradeIr(versionOne()) as { irVersion: number };
  assert.deepEqual(validateIr(upgraded), []);
  assert.equal(upgraded.irVersion, IR_VERSION);
  assert.deepEqual(upgraded, compileSource(SPEC, "m.mtl").ir);
});

test("a version 3 IR reads as version 4 with nothing else changed, and every example spec's IR survives the trip", () => {
  for (const name of readdirSync(join(repoRoot(), "specs")).filter((f) => f.endsWith(".mtl"))) {
    const current = compileSource(readFileSync(join(repoRoot(), "specs", name), "utf8"), name).ir!;
    const three = { ...current, irVersion: 3 };
    const upgraded = upgradeIr(three);
    assert.deepEqual(upgraded, current, name);
    assert.deepEqual(validateIr(three).map((v) => v.path), ["/irVersion"], `${name}: the gate must refuse a version 3 IR that was not upgraded`);
  }
});

test("anything but an older IR is left for the gate to judge", () => {
  const current = compileSource(SPEC, "m.mtl").ir!;
  assert.equal(upgradeIr(current), current);
  const future = { ...current, irVersion: 99 };
  assert.equal(upgradeIr(future), future);
  assert.notDeepEqual(validateIr(upgradeIr({ irVersion: 1, tasks: "x" })), []);
  const broken = { ...V2["mmoe.mtl"]!.ir, tasks: [{ name: "t" }] };
  assert.equal(upgradeIr(broken), broken, "a malformed version 2 IR is passed on untouched");
  assert.equal(loadIr(broken).ok, false);
});

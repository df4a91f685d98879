import assert from "node:assert/strict";
import { test } from "node:test";
import { upgradeIr } from "../../src/ir/upgrade.js";
import { IR_VERSION } from "../../src/ir/types.js";
import { validateIr } from "../../src/ir/validate.js";
import { compileSource } from "../../src/compiler.js";

const SPEC = `model m
feature a : numeric()
tower t = mlp(a, [4])
task ctr : binary = t label click
task income : binary = t label income is "50000+." where stage is "clicked"
`;

/** The IR of SPEC as mtl 0.1 (IR version 1) wrote it: one `positive` string or null per label and where. */
function versionOne(): Record<string, unknown> {
  const ir = JSON.parse(JSON.stringify(compileSource(SPEC, "m.mtl").ir)) as { irVersion: number; tasks: Record<string, unknown>[] };
  ir.irVersion = 1;
  for (const task of ir.tasks) {
    for (const key of ["label", "where"]) {
      const label = task[key] as { column: string; positives?: string[] | null } | null;
      if (label) task[key] = { column: label.column, positive: label.positives ? label.positives[0] : null };
    }
  }
  return ir;
}

test("a version 1 IR reads as the current version, its positive values as one-value lists", () => {
  const upgraded = upgradeIr(versionOne()) as { irVersion: number; tasks: { label: unknown; where: unknown }[] };
  assert.deepEqual(validateIr(upgraded), []);
  assert.equal(upgraded.irVersion, IR_VERSION);
  assert.deepEqual(upgraded, compileSource(SPEC, "m.mtl").ir);
});

test("anything but a version 1 IR is left for the schema to judge", () => {
  const current = compileSource(SPEC, "m.mtl").ir!;
  assert.equal(upgradeIr(current), current);
  const future = { ...current, irVersion: 99 };
  assert.equal(upgradeIr(future), future);
  assert.notDeepEqual(validateIr(upgradeIr({ irVersion: 1, tasks: "x" })), []);
});

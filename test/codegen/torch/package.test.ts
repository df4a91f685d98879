/**
 * The generated package as text (no Python needed): deterministic, within
 * its line width, every saved weight mapped to a parameter, and the
 * compile command's refusals.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { torchPackageFiles } from "../../../src/codegen/torch/index.js";
import { runCli } from "../../helpers/cli.js";
import { cliFrom, repoRoot } from "../../helpers/paths.js";
import { compileSpecText, COVERAGE_SPEC, EXAMPLE_SPECS } from "./torch-helpers.js";

const CLI = cliFrom(import.meta.url);

test("every example spec compiles to the same package bytes twice, with generated lines within 100 columns and every TF.js weight mapped", async () => {
  const specs = [...EXAMPLE_SPECS.map((name) => ({ name, text: readFileSync(join(repoRoot(), "specs", name), "utf8") })), { name: "coverage.mtl", text: COVERAGE_SPEC }];
  for (const { name, text } of specs) {
    const ir = compileSpecText(text, name);
    const first = await torchPackageFiles(ir, text);
    const second = await torchPackageFiles(ir, text);
    assert.deepEqual(second, first, `${name}: the package differs between two compiles`);
    for (const file of ["model.py", "spec.py"]) {
      const long = String(first.get(file)).split("\n").filter((line) => line.length > 100 && !/^\s*\["/.test(line));
      assert.deepEqual(long, [], `${name}: ${file} has lines over 100 columns`);
    }
    const layout = JSON.parse(String(first.get("tfjs_model.json"))) as { weightSpecs: { name: string }[] };
    const model = String(first.get("model.py"));
    for (const { name: weight } of layout.weightSpecs) assert.ok(model.includes(`["${weight}", `), `${name}: model.py does not map the weight '${weight}'`);
    assert.ok(layout.weightSpecs.length > 0);
  }
});

test("mtl compile --target torch needs a folder to write, and refuses standard output", () => {
  const none = runCli(CLI, ["compile", join(repoRoot(), "specs", "mmoe.mtl"), "--target", "torch"]);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /--target torch writes a folder: give -o DIR/);
  const stdout = runCli(CLI, ["compile", join(repoRoot(), "specs", "mmoe.mtl"), "--target", "torch", "-o", "-"]);
  assert.equal(stdout.status, 2);
  assert.match(stdout.stderr, /not standard output/);
});

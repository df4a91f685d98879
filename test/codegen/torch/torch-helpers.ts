/**
 * What the torch back end's tests share: finding Python with torch (a
 * failure under CI=true, where .ci/run installs it; a skip elsewhere), the
 * example specs, scratch folders and the probe script.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync } from "node:fs";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { compileSource } from "../../../src/compiler.js";
import type { ModelIR } from "../../../src/ir/types.js";
import { findTorchPython, TORCH_MISSING_HINT } from "../../../src/util/torch-python.js";
import { repoRoot } from "../../helpers/paths.js";

export const EXAMPLE_SPECS = ["shared-bottom.mtl", "omoe.mtl", "mmoe.mtl", "esmm.mtl", "esmm-mmoe-gmv.mtl", "ple.mtl", "census-mmoe.mtl"];

let found: string | null | undefined;

/** The Python that imports torch; null (the test skipped) when there is none, except under CI, where that fails. */
export function torchOrSkip(t: TestContext): string | null {
  if (found === undefined) {
    const probe = findTorchPython();
    found = probe.found ? probe.python : null;
    if (!probe.found && process.env["CI"] === "true") assert.fail(`PyTorch is required under CI (${TORCH_MISSING_HINT}); tried ${probe.why}`);
  }
  if (found === null) t.skip(`PyTorch not installed (${TORCH_MISSING_HINT})`);
  return found;
}

export function compileSpecText(text: string, name: string): ModelIR {
  const result = compileSource(text, name);
  assert.ok(result.ir, `${name} does not compile: ${result.diagnostics.map((d) => d.message).join("; ")}`);
  return result.ir;
}

/** A fresh folder under the repository's scratch space (left for inspection; git-ignored). */
export function scratchDir(name: string): string {
  const root = join(repoRoot(), ".build-codegen-tmp", "torch");
  mkdirSync(root, { recursive: true });
  return mkdtempSync(join(root, `${name}-`));
}

/** Runs test/codegen/torch/probe.py on `request`; its JSON answer. */
export function runProbe(python: string, request: unknown): unknown {
  const result = spawnSync(python, [join(repoRoot(), "test", "codegen", "torch", "probe.py")], {
    input: JSON.stringify(request),
    encoding: "utf8",
    maxBuffer: 1 << 30,
    timeout: 300_000,
    env: { ...process.env, OMP_NUM_THREADS: "1" },
  });
  assert.equal(result.status, 0, `probe.py failed: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

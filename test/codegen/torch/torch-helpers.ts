/**
 * What the torch back end's tests share: finding Python with torch (a
 * failure under CI=true, where .ci/run installs it; a skip elsewhere), the
 * example specs, scratch folders and the probe script.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { compileSource } from "../../../src/compiler.js";
import type { ValidIR } from "../../../src/ir/types.js";
import { findTorchPython, TORCH_MISSING_HINT } from "../../../src/util/torch-python.js";
import { repoRoot } from "../../helpers/paths.js";

export const EXAMPLE_SPECS = ["shared-bottom.mtl", "omoe.mtl", "mmoe.mtl", "esmm.mtl", "esmm-mmoe-gmv.mtl", "ple.mtl", "census-mmoe.mtl", "aitm.mtl", "escm2.mtl"];

/**
 * What specs/aitm.mtl leaves out: a chain of three AITM steps (declared out of
 * order) over MMoE gates, towers of different widths (the transfer changes
 * width), a head on a gate with a transfer and no calibrator, uncertainty.
 */
export const AITM_CHAIN_SPEC = `
model aitm_chain "three funnel steps over MMoE experts"

feature user_id : categorical(buckets: 50, dim: 4)
feature item_id : categorical(buckets: 40, dim: 4)
feature price   : numeric(normalize: zscore)

input x = concat(*)
expert e[3] = mlp(x, [8], activation: tanh)
gate g1 = softmax(x) over e
gate g2 = softmax(x) over e
gate g3 = softmax(x) over e
tower t1 = mlp(g1, [6])
tower t2 = mlp(g2, [5], activation: gelu)
tower t3 = mlp(g3, [7])

task buy    : binary = t3 label buy after cart calibrate 1.5
task click  : binary = t1 label click
task cart   : binary = t2 label cart after click calibrate 2
task direct : binary = g1 label click2 after click

train { weighting: uncertainty }
`;

/** ESCM²'s IPS variant (specs/escm2.mtl is DR) under uncertainty weighting, with a clip that binds on some rows. */
export const ESCM2_IPS_SPEC = `
model escm2_ips "ESCM²-IPS"

feature user_id : categorical(buckets: 50, dim: 4)
feature price   : numeric(normalize: zscore)

input x = concat(*)
tower ctr_t = mlp(x, [6])
tower cvr_t = mlp(x, [6])

task ctr   : binary = ctr_t label click
task cvr   : binary = cvr_t label purchase where click debias ips(ctr, clip: 0.45) weight 0.2
task ctcvr : binary = ctr * cvr label purchase

train { weighting: uncertainty  seed: 5 }
`;

/** What the example specs leave out: sequences (three pools), a vocabulary, batch norm, dropout, the other activations, uncertainty, l2. */
export const COVERAGE_SPEC = `
model torch_coverage "sequences, a shared table, sample weights, batch norm, uncertainty, l2 and the other activations"

feature user_id  : categorical(buckets: 50, dim: 4)
feature item_id  : categorical(buckets: 40, dim: 4)
feature last_item : categorical(buckets: 40, dim: 4, shares: item_id)
feature category : categorical(vocab: ["a", "b", "c"], dim: 3)
feature history  : sequence(of: item_id, max_len: 5, pool: mean)
feature cats     : sequence(of: category, max_len: 3, pool: max, sep: ";")
feature friends  : sequence(of: user_id, max_len: 4, pool: sum)
feature price    : numeric(transform: log1p, normalize: zscore)
feature age      : numeric(transform: sqrt, normalize: minmax, fill: zero)

input x = concat(*)
expert e[2] = mlp(x, [8, 6], activation: gelu, batchnorm: true, dropout: 0.3)
expert f = mlp(x, [6], activation: swish)
gate g1 = softmax(x) over e, f
gate g2 = softmax(x) over e, f
tower t1 = mlp(g1, [5], activation: selu)
tower t2 = mlp(g2, [5], activation: elu)

task click  : binary     = t1 label click sample_weight w
task cvr    : binary     = t2
task buy    : binary     = click * cvr label purchase
task amount : regression = t2 label amount where purchase loss huber(delta: 0.5)
task score  : regression = t1 label score loss mse

train {
  optimizer: adam(lr: 0.01)
  batch: 16
  weighting: uncertainty
  l2: 0.001
  seed: 3
}
`;

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

export function compileSpecText(text: string, name: string): ValidIR {
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

/** Runs `python PKG/train.py ...args` to its end (async, so runs can overlap). */
export function runTrainPy(python: string, pkg: string, args: readonly string[]): { child: ChildProcess; done: Promise<{ status: number | null; stderr: string }> } {
  const child = spawn(python, [join(pkg, "train.py"), ...args], { env: { ...process.env, OMP_NUM_THREADS: "1" }, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (b: Buffer) => (stderr += b.toString()));
  const done = new Promise<{ status: number | null; stderr: string }>((resolve) => child.on("close", (status) => resolve({ status, stderr })));
  return { child, done };
}

/** Runs train.py into `out` and kills it (SIGKILL) once it has written a checkpoint, asserting that was before its end. */
export async function killAfterCheckpoint(python: string, pkg: string, args: readonly string[], out: string): Promise<void> {
  const run = runTrainPy(python, pkg, [...args, "--out", out]);
  const checkpoint = join(out, "torch-checkpoint", "state.pt");
  while (!existsSync(checkpoint) && run.child.exitCode === null) await sleep(10);
  run.child.kill("SIGKILL");
  await run.done;
  assert.ok(existsSync(checkpoint) && !existsSync(join(out, "manifest.json")), "the run must be killed after a checkpoint and before the end");
}

/** Rows of the impressions the training tests use: ids, a price, click and purchase. */
export function impressionsCsv(rows: number, random: () => number): string {
  const lines = ["user_id,item_id,price,click,purchase"];
  for (let i = 0; i < rows; i++) {
    const click = random() < 0.4 ? 1 : 0;
    lines.push(`u${Math.floor(random() * 30)},i${Math.floor(random() * 20)},${(random() * 100).toFixed(2)},${click},${click && random() < 0.5 ? 1 : 0}`);
  }
  return lines.join("\n") + "\n";
}

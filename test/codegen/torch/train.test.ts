/**
 * The generated train.py: DistributedDataParallel over gloo with its own
 * launcher (two ranks of batch B take the steps one rank of batch 2B takes),
 * and checkpoints (a run killed mid-way ends where an uninterrupted one
 * does).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { writeTorchPackage } from "../../../src/codegen/torch/index.js";
import { seededRandom } from "../../helpers/random.js";
import { compileSpecText, impressionsCsv, killAfterCheckpoint, runTrainPy, scratchDir, torchOrSkip } from "./torch-helpers.js";
import { folderWeights, maxWeightDifference } from "../../helpers/model-folder.js";

/** No `where`, dropout or batch norm: with those, a rank's half of a batch is not half of the whole batch's loss. */
const SPEC = `
model small_mmoe "two tasks over shared experts"

feature user_id : categorical(buckets: 64, dim: 4)
feature item_id : categorical(buckets: 32, dim: 4)
feature price   : numeric(transform: log1p, normalize: zscore)

input x = concat(*)
expert e[2] = mlp(x, [8])
gate g_ctr = softmax(x) over e
gate g_cvr = softmax(x) over e
tower ctr_tower = mlp(g_ctr, [4])
tower cvr_tower = mlp(g_cvr, [4])

task ctr : binary = ctr_tower label click
task cvr : binary = cvr_tower label purchase

train {
  optimizer: adam(lr: 0.01)
  batch: 16
  seed: 3
}
`;

async function setUp(name: string, rows: number) {
  const dir = scratchDir(name);
  const pkg = join(dir, "package");
  await writeTorchPackage(pkg, compileSpecText(SPEC, "small.mtl"), SPEC);
  const data = join(dir, "rows.csv");
  writeFileSync(data, impressionsCsv(rows, seededRandom(rows)));
  return { dir, pkg, data };
}

test("two gloo ranks of batch 8 reach the weights of one process of batch 16 (and not those of batch 8)", async (t) => {
  const python = torchOrSkip(t);
  if (python === null) return;
  const { dir, pkg, data } = await setUp("ddp", 64);
  const common = ["--data", data, "--max-steps", "3", "--shuffle-buffer", "1", "--quiet"];
  const runs = [
    runTrainPy(python, pkg, [...common, "--out", join(dir, "two"), "--nproc", "2", "--batch", "8"]),
    runTrainPy(python, pkg, [...common, "--out", join(dir, "one"), "--batch", "16"]),
    runTrainPy(python, pkg, [...common, "--out", join(dir, "small"), "--batch", "8"]),
  ];
  for (const { done } of runs) {
    const { status, stderr } = await done;
    assert.equal(status, 0, stderr);
  }
  const [two, one, small] = ["two", "one", "small"].map((name) => folderWeights(join(dir, name)));
  const distance = maxWeightDifference(two!, one!);
  assert.ok(distance <= 1e-5, `2 x 8 rows and 1 x 16 rows differ by ${distance}`);
  assert.ok(maxWeightDifference(two!, small!) > 1e-4, "batch 8 alone must train differently, or the comparison proves nothing");
});

test("a run killed mid-way resumes from its checkpoint and ends with the weights of an uninterrupted run", async (t) => {
  const python = torchOrSkip(t);
  if (python === null) return;
  const { dir, pkg, data } = await setUp("resume", 64);
  const options = ["--data", data, "--batch", "4", "--epochs", "6", "--checkpoint-every", "5", "--quiet"];
  const whole = runTrainPy(python, pkg, [...options, "--out", join(dir, "whole")]);
  const killed = join(dir, "killed");
  await killAfterCheckpoint(python, pkg, options, killed);
  const checkpoint = join(killed, "torch-checkpoint", "state.pt");
  const second = await runTrainPy(python, pkg, [...options, "--out", killed]).done;
  assert.equal(second.status, 0, second.stderr);
  assert.equal((await whole.done).status, 0);
  assert.ok(!existsSync(checkpoint), "the checkpoint is removed once the model is saved");
  const distance = maxWeightDifference(folderWeights(killed), folderWeights(join(dir, "whole")));
  assert.ok(distance <= 1e-6, `the resumed run ends ${distance} away from the uninterrupted one`);
});

test("train.py lets idle OpenMP threads sleep, unless the environment says otherwise", async (t) => {
  const python = torchOrSkip(t);
  if (python === null) return;
  const { pkg } = await setUp("openmp", 4);
  const probe = `import json, sys
sys.path.insert(0, sys.argv[1])
import train
unset, user = {}, {"OMP_WAIT_POLICY": "ACTIVE"}
train.quiet_openmp(unset)
train.quiet_openmp(user)
print(json.dumps([unset, user, "torch" in sys.modules]))`;
  const run = spawnSync(python, ["-c", probe, pkg], { encoding: "utf8", timeout: 60_000 });
  assert.equal(run.status, 0, run.stderr);
  // Set before torch loads OpenMP: importing train.py must not import torch.
  assert.deepEqual(JSON.parse(run.stdout), [{ OMP_WAIT_POLICY: "PASSIVE" }, { OMP_WAIT_POLICY: "ACTIVE" }, false]);
});

/**
 * gradnorm and dwa in the generated PyTorch package (python/balance.py)
 * against mtl's TF.js runtime: the same weights and batch give the same
 * GradNorm gradient norms, the same losses and norms give the same task
 * weights' state step by step, and train.py records every epoch's weights in
 * metrics.json and resumes them from its checkpoint.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { writeTorchPackage } from "../../../src/codegen/torch/index.js";
import { graphInputs } from "../../../src/ir/blocks.js";
import { gradNormLayers } from "../../../src/ir/gradnorm-layer.js";
import type { ValidIR } from "../../../src/ir/types.js";
import { createBalancer, TASK_WEIGHTS_KEY, type BalancerState } from "../../../src/runtime/balance/balancer.js";
import { kernelsOf, taskGradNorms } from "../../../src/runtime/balance/grad-norms.js";
import { buildModel, saveModel } from "../../../src/runtime/graph/index.js";
import { seededRandom } from "../../helpers/random.js";
import { compileSpecText, impressionsCsv, killAfterCheckpoint, runProbe, runTrainPy, scratchDir, torchOrSkip } from "./torch-helpers.js";
import { folderWeights, maxWeightDifference } from "../../helpers/model-folder.js";

/** Two shared experts (GradNorm's W: both their last layers), a `where` task and a regression one. */
const spec = (weighting: string, where = " where click") => `
model balanced "gradnorm and dwa"

feature user_id : categorical(buckets: 64, dim: 4)
feature item_id : categorical(buckets: 32, dim: 4)
feature price   : numeric(transform: log1p, normalize: zscore)

input x = concat(*)
expert e[2] = mlp(x, [8, 6])
gate g_ctr = softmax(x) over e
gate g_cvr = softmax(x) over e
tower ctr_tower = mlp(g_ctr, [4])
tower cvr_tower = mlp(g_cvr, [4])

task ctr : binary = ctr_tower label click
task cvr : binary = cvr_tower label purchase${where}

train {
  optimizer: adam(lr: 0.01)
  batch: 16
  seed: 3
  weighting: ${weighting}
}
`;

async function packageFor(weighting: string, name: string, where?: string): Promise<{ ir: ValidIR; dir: string; pkg: string }> {
  const text = spec(weighting, where);
  const ir = compileSpecText(text, `${name}.mtl`);
  const dir = scratchDir(name);
  const pkg = join(dir, "package");
  await writeTorchPackage(pkg, ir, text);
  return { ir, dir, pkg };
}

type Arrays = Record<string, { shape: number[]; values: number[] }>;

test("GradNorm's gradient norms: the same weights and batch give the same g_i in TF.js and in PyTorch", async (t) => {
  const python = torchOrSkip(t);
  if (python === null) return;
  const { ir, dir, pkg } = await packageFor("gradnorm", "gradnorms");
  assert.deepEqual(gradNormLayers(ir), ["expert_e_0_dense_1", "expert_e_1_dense_1"]);
  const random = seededRandom(11);
  const built = buildModel(ir);
  for (const w of built.model.weights) {
    const size = w.shape.reduce((n: number, d) => n * d!, 1);
    w.write(tf.tensor(Float32Array.from({ length: size }, () => random() - 0.5), w.shape as number[]));
  }
  await saveModel(built.model, join(dir, "weights"));
  const rows = 24;
  const features: Arrays = {};
  for (const input of graphInputs(ir)) {
    const width = input.kind === "numericBlock" ? input.features.length : 1;
    const feature = input.kind === "feature" ? input.feature : null;
    const buckets = feature?.kind === "categorical" ? ir.tables.find((x) => x.name === feature.table)!.rows : 0;
    features[input.name] = { shape: [rows, width], values: Array.from({ length: rows * width }, () => (buckets ? Math.floor(random() * buckets) : (random() - 0.5) * 4)) };
  }
  const click = Array.from({ length: rows }, () => (random() < 0.5 ? 1 : 0));
  const labels: Arrays = { ctr: { shape: [rows], values: click }, cvr: { shape: [rows], values: click.map((c) => (c && random() < 0.5 ? 1 : 0)) } };
  const masks: Arrays = { cvr: { shape: [rows], values: click } };
  const taskWeights = { ctr: 0.7, cvr: 1.3 };

  const asTensors = (arrays: Arrays, dtype: (name: string) => "float32" | "int32") => Object.fromEntries(Object.entries(arrays).map(([k, a]) => [k, tf.tensor(a.values, a.shape, dtype(k))]));
  const inputs = asTensors(features, (k) => (ir.features.some((f) => f.name === k && f.kind === "categorical") ? "int32" : "float32"));
  const batch = { labels: asTensors(labels, () => "float32"), masks: asTensors(masks, () => "float32") };
  const mine = taskGradNorms(built, inputs, batch, kernelsOf(built.trainingModel, gradNormLayers(ir)), taskWeights);
  const { gradnorms } = runProbe(python, { gradnorms: [{ package: pkg, weights: join(dir, "weights"), features, labels, masks, taskWeights }] }) as { gradnorms: { norms: Record<string, number> }[] };
  const theirs = gradnorms[0]!.norms;
  for (const task of ["ctr", "cvr"]) {
    const relative = Math.abs(mine[task]! - theirs[task]!) / theirs[task]!;
    assert.ok(theirs[task]! > 1e-3 && relative < 1e-4, `${task}: g = ${mine[task]} in TF.js, ${theirs[task]} in PyTorch`);
  }
  assert.ok(Math.abs(mine.ctr! - mine.cvr!) > 1e-3, "the two tasks' norms differ, or the comparison proves little");
  built.model.dispose();
});

/** Three epochs of four steps of made-up losses and norms, one step with a task that saw no rows (loss 0). */
function steps(): { losses: Record<string, number>; norms: Record<string, number> }[][] {
  const random = seededRandom(5);
  return [0, 1, 2].map((epoch) =>
    [0, 1, 2, 3].map((s) => ({
      losses: { ctr: 0.7 / (1 + epoch + s / 4) + 0.05 * random(), cvr: epoch === 1 && s === 2 ? 0 : 0.5 / (1 + 0.3 * epoch) + 0.05 * random() },
      norms: { ctr: 0.5 + random(), cvr: 0.2 + random() },
    })),
  );
}

function assertSameState(mine: unknown, theirs: unknown, path: string): void {
  if (typeof mine === "number" && typeof theirs === "number") {
    assert.ok(Math.abs(mine - theirs) <= 1e-12 * Math.max(1, Math.abs(mine)), `${path}: ${mine} in TypeScript, ${theirs} in Python`);
  } else if (mine !== null && typeof mine === "object") {
    assert.ok(theirs !== null && typeof theirs === "object", `${path}: ${JSON.stringify(theirs)}`);
    assert.deepEqual(Object.keys(mine).sort(), Object.keys(theirs).sort(), path);
    for (const key of Object.keys(mine)) assertSameState((mine as Record<string, unknown>)[key], (theirs as Record<string, unknown>)[key], `${path}/${key}`);
  } else {
    assert.equal(mine, theirs, path);
  }
}

test("the task weights' state after every epoch: the same losses and norms give the same in TypeScript and in Python (gradnorm, dwa)", async (t) => {
  const python = torchOrSkip(t);
  if (python === null) return;
  const epochs = steps();
  const weightings = ["gradnorm(alpha: 1.2, lr: 0.1)", "dwa(temperature: 1.5)"];
  const cases = await Promise.all(weightings.map((w) => packageFor(w, "balancers")));
  const { balancers } = runProbe(python, { balancers: cases.map(({ pkg }) => ({ package: pkg, epochs })) }) as { balancers: unknown[][] };
  cases.forEach(({ ir }, i) => {
    const balancer = createBalancer(ir)!;
    const mine: BalancerState[] = epochs.map((epoch, e) => {
      for (const step of epoch) balancer.stepped(step.losses, step.norms);
      balancer.epochEnded(e + 1);
      return balancer.exportState();
    });
    assertSameState(mine, balancers[i], weightings[i]!);
    const last = mine[mine.length - 1]!.history[2]!.weights;
    assert.ok(Math.abs(last.ctr! - 1) > 1e-3, `${weightings[i]}: the weights moved (${JSON.stringify(last)}), or the comparison proves little`);
  });
});

test("train.py with gradnorm and dwa: metrics.json holds every epoch's task weights, and a run killed mid-way resumes them", async (t) => {
  const python = torchOrSkip(t);
  if (python === null) return;
  // Both weightings at once: most of the time is Python starting and importing torch.
  await Promise.all(["gradnorm(lr: 0.05)", "dwa"].map((weighting) => killedAndResumed(python, weighting)));
});

async function killedAndResumed(python: string, weighting: string): Promise<void> {
  const { dir, pkg } = await packageFor(weighting, "train-balanced");
  const data = join(dir, "rows.csv");
  writeFileSync(data, impressionsCsv(48, seededRandom(48)));
  const options = ["--data", data, "--batch", "4", "--epochs", "3", "--checkpoint-every", "5", "--quiet"];
  const whole = runTrainPy(python, pkg, [...options, "--out", join(dir, "whole")]);
  const killed = join(dir, "killed");
  await killAfterCheckpoint(python, pkg, options, killed);
  const resumed: { status: number | null; stderr: string } = await runTrainPy(python, pkg, [...options, "--out", killed]).done;
  assert.equal(resumed.status, 0, resumed.stderr);
  const done = await whole.done;
  assert.equal(done.status, 0, done.stderr);
  const recorded = (out: string) => JSON.parse(readFileSync(join(out, "metrics.json"), "utf8"))[TASK_WEIGHTS_KEY] as { weighting: string; epochs: { epoch: number; weights: Record<string, number> }[] };
  const saved = recorded(join(dir, "whole"));
  assert.equal(saved.weighting, weighting.replace(/\(.*/, ""));
  assert.deepEqual(saved.epochs.map((e) => e.epoch), [1, 2, 3]);
  for (const { weights } of saved.epochs) assert.ok(Math.abs(weights.ctr! + weights.cvr! - 2) < 1e-9, JSON.stringify(weights));
  assert.deepEqual(recorded(killed), saved, `${weighting}: the resumed run's task weights`);
  const distance = maxWeightDifference(folderWeights(killed), folderWeights(join(dir, "whole")));
  assert.ok(distance <= 1e-6, `${weighting}: the resumed run ends ${distance} away from the uninterrupted one`);
}

test("train.py with gradnorm over two gloo ranks of batch 8 reaches the weights of one process of batch 16: the ranks balance on the whole batch's losses and norms", async (t) => {
  const python = torchOrSkip(t);
  if (python === null) return;
  // No `where`: with one, a rank's half of a batch is not half of the whole batch's loss.
  const [gradnorm, fixed] = await Promise.all([packageFor("gradnorm(lr: 0.2)", "ddp-gradnorm", ""), packageFor("fixed", "ddp-fixed", "")]);
  const data = join(gradnorm.dir, "rows.csv");
  writeFileSync(data, impressionsCsv(64, seededRandom(64)));
  const common = ["--data", data, "--max-steps", "4", "--shuffle-buffer", "1", "--quiet"];
  const runs = [
    runTrainPy(python, gradnorm.pkg, [...common, "--out", join(gradnorm.dir, "two"), "--nproc", "2", "--batch", "8"]),
    runTrainPy(python, gradnorm.pkg, [...common, "--out", join(gradnorm.dir, "one"), "--batch", "16"]),
    runTrainPy(python, fixed.pkg, [...common, "--out", join(fixed.dir, "one"), "--batch", "16"]),
  ];
  for (const { done } of runs) {
    const { status, stderr } = await done;
    assert.equal(status, 0, stderr);
  }
  const [two, one, unbalanced] = [join(gradnorm.dir, "two"), join(gradnorm.dir, "one"), join(fixed.dir, "one")].map(folderWeights);
  const distance = maxWeightDifference(two!, one!);
  assert.ok(distance <= 1e-5, `2 x 8 rows and 1 x 16 rows differ by ${distance}`);
  assert.ok(maxWeightDifference(one!, unbalanced!) > 1e-4, "fixed weights must train differently, or the comparison proves nothing");
});

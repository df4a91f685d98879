/**
 * train.py starts a fresh run as mtl's trainer does: each dense head's bias
 * at its task's prior from the first PRIOR_ROWS rows (priors.ts), and a
 * task whose sample weights are all 0 refused with mtl's message
 * (weight-check.ts); a resumed run keeps its trained heads.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { writeTorchPackage } from "../../../src/codegen/torch/index.js";
import { createEncoder, fitEncoding, type EncodedBatch } from "../../../src/data/encode/index.js";
import { DataError, type RawRecord } from "../../../src/data/record.js";
import type { ValidIR } from "../../../src/ir/types.js";
import { names } from "../../../src/plan/names.js";
import { buildModel } from "../../../src/runtime/graph/index.js";
import { SkipBudget } from "../../../src/train/bad-rows.js";
import { estimatePriors, initialiseHeads, PRIOR_ROWS } from "../../../src/train/priors.js";
import { readOptionsFor } from "../../../src/train/read-options.js";
import { readLabelled } from "../../../src/train/trainer.js";
import { checkSampleWeights } from "../../../src/train/weight-check.js";
import { seededRandom } from "../../helpers/random.js";
import { compileSpecText, killAfterCheckpoint, runTrainPy, scratchDir, torchOrSkip } from "./torch-helpers.js";
import { folderWeights } from "../../helpers/model-folder.js";

/** A weighted binary task, a regression under `where`, and an ESMM product whose factor cvr has no label. */
const SPEC = `
model priors_check "a binary, a regression and an ESMM product with a latent factor"

feature user_id : categorical(buckets: 16, dim: 2)
feature price   : numeric(normalize: zscore)

input x = concat(*)
tower ctr_t = mlp(x, [2])
tower cvr_t = mlp(x, [2])
tower amount_t = mlp(x, [2])

task ctr    : binary     = ctr_t label click sample_weight w
task cvr    : binary     = cvr_t
task ctcvr  : binary     = ctr * cvr label purchase
task amount : regression = amount_t label amount where click

train { optimizer: adam(lr: 0.01)  batch: 64  seed: 2 }
`;

const HEADS = ["ctr", "cvr", "amount"];

/** `rows` impressions; past PRIOR_ROWS every row clicks and buys dearly, so a reader of more rows than that gets other priors. */
function impressions(rows: number, weight: (random: () => number) => number): string {
  const random = seededRandom(rows);
  const lines = ["user_id,price,click,purchase,amount,w"];
  for (let i = 0; i < rows; i++) {
    const late = i >= PRIOR_ROWS;
    const click = late || random() < 0.05 ? 1 : 0;
    const purchase = click && (late || random() < 0.2) ? 1 : 0;
    const amount = late ? 5000 : click ? (random() * 300).toFixed(3) : "";
    lines.push(`u${Math.floor(random() * 40)},${(random() * 100).toFixed(2)},${click},${purchase},${amount},${weight(random)}`);
  }
  return lines.join("\n") + "\n";
}

/** The head biases mtl's trainer starts from on `file` (its fresh setup: the weight check, then estimatePriors and initialiseHeads). */
async function mtlStartingBiases(ir: ValidIR, file: string): Promise<Map<string, number>> {
  const source = { file, read: readOptionsFor(file, ir.data) };
  const records: RawRecord[] = [];
  for await (const record of readLabelled(ir, source, new SkipBudget(0))) records.push(record);
  const encoder = createEncoder(ir, await fitEncoding(ir, records, file));
  const batches: { batch: EncodedBatch }[] = [];
  for (let i = 0; i < records.length; i += 4096) batches.push({ batch: encoder.encodeBatch(records.slice(i, i + 4096), file) });
  checkSampleWeights(ir, batches, file);
  const built = buildModel(ir);
  initialiseHeads(built, ir, estimatePriors(ir, batches));
  const biases = new Map(HEADS.map((task) => [task, built.model.getLayer(names.taskHead(task)).getWeights()[1]!.dataSync()[0]!]));
  built.model.dispose();
  return biases;
}

function folderBiases(dir: string): Map<string, number> {
  const weights = folderWeights(dir);
  return new Map(HEADS.map((task) => [task, weights.get(`${names.taskHead(task)}/bias`)![0]!]));
}

async function setUp(name: string, csv: string) {
  const dir = scratchDir(name);
  const ir = compileSpecText(SPEC, "priors.mtl");
  const pkg = join(dir, "package");
  await writeTorchPackage(pkg, ir, SPEC);
  const data = join(dir, "rows.csv");
  writeFileSync(data, csv);
  return { dir, ir, pkg, data };
}

const logit = (p: number) => Math.log(p / (1 - p));

test("train.py starts the heads at the biases mtl's trainer starts them at, from the first PRIOR_ROWS rows", async (t) => {
  const python = torchOrSkip(t);
  if (python === null) return;
  const { dir, ir, pkg, data } = await setUp("priors", impressions(PRIOR_ROWS + 3000, (r) => [0.5, 1, 2.25][Math.floor(r() * 3)]!));
  const run = runTrainPy(python, pkg, ["--data", data, "--out", join(dir, "model"), "--max-steps", "0", "--quiet"]);
  const expected = await mtlStartingBiases(ir, data);
  const { status, stderr } = await run.done;
  assert.equal(status, 0, stderr);
  const actual = folderBiases(join(dir, "model"));
  for (const task of HEADS) assert.ok(Math.abs(actual.get(task)! - expected.get(task)!) <= 1e-6, `${task}: train.py ${actual.get(task)}, mtl ${expected.get(task)}`);
  // Both read exactly the first PRIOR_ROWS rows: the 3000 after them would move every prior far (a CTR near 5%, not 7.7%).
  assert.ok(expected.get("ctr")! < logit(0.06) && expected.get("ctr")! > logit(0.04), `ctr starts at ${expected.get("ctr")}`);
  assert.ok(expected.get("amount")! < 300, `amount starts at ${expected.get("amount")}`);
  // cvr has no label: p(ctcvr) / p(ctr), near the 20% the rows were drawn with.
  assert.ok(expected.get("cvr")! > logit(0.12) && expected.get("cvr")! < logit(0.3), `cvr starts at ${expected.get("cvr")}`);
});

test("a run resumed from its checkpoint keeps the trained heads instead of starting them at the priors again", async (t) => {
  const python = torchOrSkip(t);
  if (python === null) return;
  const { dir, pkg, data } = await setUp("priors-resume", impressions(2000, (r) => (r() < 0.5 ? 1 : 2)));
  const options = ["--data", data, "--batch", "16", "--epochs", "50", "--checkpoint-every", "20", "--quiet"];
  const fresh = await runTrainPy(python, pkg, [...options, "--out", join(dir, "fresh"), "--max-steps", "0"]).done;
  assert.equal(fresh.status, 0, fresh.stderr);
  const killed = join(dir, "killed");
  await killAfterCheckpoint(python, pkg, options, killed);
  // No steps left: the model saved is the checkpoint's, which has trained for at least 20 steps.
  const resumed = await runTrainPy(python, pkg, [...options, "--out", killed, "--max-steps", "0"]).done;
  assert.equal(resumed.status, 0, resumed.stderr);
  const [priors, trained] = [folderBiases(join(dir, "fresh")), folderBiases(killed)];
  for (const task of HEADS) assert.ok(Math.abs(priors.get(task)! - trained.get(task)!) > 1e-3, `${task}: the resumed run's bias ${trained.get(task)} is its prior ${priors.get(task)}`);
});

test("train.py refuses sample weights that are 0 on every row with mtl's message, on every rank", async (t) => {
  const python = torchOrSkip(t);
  if (python === null) return;
  const { dir, ir, pkg, data } = await setUp("priors-zero", impressions(300, () => 0));
  const mtl = await mtlStartingBiases(ir, data).then(
    () => assert.fail("mtl's trainer accepted weights of 0"),
    (error: unknown) => error as DataError,
  );
  assert.ok(mtl instanceof DataError, String(mtl));
  const run = runTrainPy(python, pkg, ["--data", data, "--out", join(dir, "model"), "--nproc", "2"]);
  const { status, stderr } = await run.done;
  assert.equal(status, 1, stderr);
  // Said once, by rank 0: rank 1 stops with the same error without repeating it.
  assert.equal(stderr, `train.py: error: ${data}: ${mtl.message} (field 'w')\n  hint: ${mtl.hint}\n`);
});

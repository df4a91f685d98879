/**
 * gradnorm and dwa through the trainer: the task weights an epoch ends with
 * reach the events and metrics.json, and a run stopped mid-epoch and resumed
 * from its checkpoints (which carry the weights, GradNorm's L(0) and Adam
 * moments, DWA's epoch averages and running sums) ends exactly like an
 * uninterrupted one.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import { compileSource } from "../../../src/compiler.js";
import { esmmColumns, generateEsmm } from "../../../src/data/synthetic/esmm.js";
import { writeGenerated } from "../../../src/data/synthetic/write.js";
import type { ValidIR } from "../../../src/ir/types.js";
import { selectBackend } from "../../../src/runtime/backend/select.js";
import { createBalancer, TASK_WEIGHTS_KEY } from "../../../src/runtime/balance/balancer.js";
import { checkpointDir, loadCheckpoint } from "../../../src/train/checkpoint/store.js";
import type { CheckpointOptions } from "../../../src/train/checkpoint/session.js";
import { stoppingEvents } from "../../helpers/stopping-events.js";
import { TrainingInterrupted } from "../../../src/train/interrupted.js";
import { readOptionsFor } from "../../../src/train/read-options.js";
import { trainModel } from "../../../src/train/trainer.js";
import { maxWeightDifference, modelWeights } from "../../train/checkpoint/fixtures.js";
import { tempDir } from "../../train/fixtures.js";

const spec = (weighting: string) => `model sb "shared bottom"
feature user_id : categorical(buckets: 500, dim: 8)
feature item_id : categorical(buckets: 500, dim: 8)
feature price : numeric(transform: log1p, normalize: zscore)
input x = concat(*)
expert bottom = mlp(x, [16], dropout: 0.1)
tower ctr_tower = mlp(bottom, [8])
tower cvr_tower = mlp(bottom, [8])
task ctr : binary = ctr_tower label click
task cvr : binary = cvr_tower label purchase where click
train {
  optimizer: adam(lr: 0.01)
  batch: 32
  epochs: 3
  seed: 7
  weighting: ${weighting}
}
`;

const work = tempDir("balancers");
let data: string;
/** 192 rows in batches of 32: 6 steps an epoch, 18 in all. */
const ROWS = 192;

before(async () => {
  await selectBackend();
  data = join(work, "train.csv");
  await writeGenerated(generateEsmm({ rows: ROWS, seed: 5, users: 300, items: 200, categories: 20, ctr: 0.3, cvr: 0.4 }), esmmColumns(), data, ROWS);
});

function compiled(weighting: string): { ir: ValidIR; text: string } {
  const text = spec(weighting);
  const result = compileSource(text, "sb.mtl");
  assert.ok(result.ir, result.diagnostics.map((d) => d.message).join("; "));
  return { ir: result.ir, text };
}

async function train(weighting: string, out: string, options: { checkpoint?: CheckpointOptions; stopAt?: number; logged?: [number, Record<string, number>][] } = {}) {
  const { ir, text } = compiled(weighting);
  const { events, stop } = stoppingEvents(options, { taskWeights: (epoch, weights) => options.logged?.push([epoch, weights]) });
  return trainModel({ ir, specText: text, train: { file: data, read: readOptionsFor(data, ir.data) }, out, skipBadRows: 0, shuffleBuffer: 10_000, events, ...(options.checkpoint && { checkpoint: options.checkpoint }), stop });
}

async function stopped(run: Promise<unknown>): Promise<void> {
  await assert.rejects(run, (e) => e instanceof TrainingInterrupted);
}

type Recorded = { weighting: string; epochs: { epoch: number; weights: Record<string, number> }[] };
const recorded = (out: string) => JSON.parse(readFileSync(join(out, "metrics.json"), "utf8"))[TASK_WEIGHTS_KEY] as Recorded;

for (const weighting of ["gradnorm(alpha: 1.5, lr: 0.05)", "dwa(temperature: 2)"]) {
  const type = weighting.slice(0, weighting.indexOf("("));
  test(`${type}: each epoch's task weights are logged and saved in metrics.json, and a resumed run ends with the uninterrupted run's weights`, async () => {
    const reference = join(work, `${type}-reference`);
    const logged: [number, Record<string, number>][] = [];
    await train(weighting, reference, { logged });
    const saved = recorded(reference);
    assert.equal(saved.weighting, type);
    assert.deepEqual(saved.epochs.map((e) => e.epoch), [1, 2, 3]);
    assert.deepEqual(logged, saved.epochs.map((e) => [e.epoch, e.weights]), "the events report what metrics.json holds");
    for (const { weights } of saved.epochs) {
      const sum = weights.ctr! + weights.cvr!;
      assert.ok(Math.abs(sum - 2) < 1e-9, `weights sum to T = 2: ${JSON.stringify(weights)}`);
    }
    if (type === "dwa") {
      assert.deepEqual(saved.epochs.slice(0, 2).map((e) => e.weights), [{ ctr: 1, cvr: 1 }, { ctr: 1, cvr: 1 }], "1s for the first two epochs");
      assert.notEqual(saved.epochs[2]!.weights.ctr, 1, "the third epoch's weights come from the first two's losses");
    } else {
      assert.ok(saved.epochs.every((e) => e.weights.ctr !== 1), "GradNorm moved the weights");
    }

    const out = join(work, `${type}-stopped`);
    await stopped(train(weighting, out, { checkpoint: { every: 0 }, stopAt: 8 }));
    await stopped(train(weighting, out, { checkpoint: { every: 0, resume: loadCheckpoint(checkpointDir(out)) }, stopAt: 14 }));
    assert.ok(loadCheckpoint(checkpointDir(out)).state.balancer, "the checkpoint carries the task weights' state");
    await train(weighting, out, { checkpoint: { every: 0, resume: loadCheckpoint(checkpointDir(out)) } });
    assert.deepEqual(recorded(out), saved, "the resumed run's task weights, every epoch's");
    assert.equal(maxWeightDifference(modelWeights(out), modelWeights(reference)), 0, "the resumed run's model weights");
  });
}

test("a checkpoint's task weights are refused by a balancer of another kind or other tasks", () => {
  const gradnorm = createBalancer(compiled("gradnorm").ir)!;
  const dwa = createBalancer(compiled("dwa").ir)!;
  assert.throws(() => dwa.importState(gradnorm.exportState()), /gradnorm's, not dwa's/);
  const other = { ...dwa.exportState(), tasks: ["ctr", "gmv"] };
  assert.throws(() => dwa.importState(other), /for tasks ctr, gmv, the model trains ctr, cvr/);
  assert.equal(createBalancer(compiled("fixed").ir), null);
  assert.equal(createBalancer(compiled("uncertainty").ir), null);
});


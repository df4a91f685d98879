import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { createEncoder } from "../../src/data/encode/index.js";
import type { TaskIR } from "../../src/ir/types.js";
import { readRecords } from "../../src/data/readers/index.js";
import { selectBackend } from "../../src/runtime/backend/select.js";
import { loadModelDir } from "../../src/model-dir/folder.js";
import { collectPredictions } from "../../src/serve/predict.js";
import { readOptionsFor } from "../../src/train/read-options.js";
import { trainModel, type TrainEvents } from "../../src/train/trainer.js";
import { mean, smallEsmmData, specIr, tempDir } from "./fixtures.js";

/** The RMSE of always predicting the mean label: the baseline a regression head must beat. */
async function labelStd(file: string, task: TaskIR): Promise<number> {
  const values: number[] = [];
  for await (const record of readRecords(file, readOptionsFor(file, { format: "csv", header: true, delimiter: ",", trim: false, missing: [], columns: null }))) {
    if (task.where && Number(record.fields[task.where.column]) !== 1) continue;
    values.push(Number(record.fields[task.label!.column]));
  }
  const m = mean(values);
  return Math.sqrt(mean(values.map((v) => (v - m) ** 2)));
}

const CLI = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
const quiet: TrainEvents = { fitted() {}, epochStart() {}, step() {}, epochEnd() {} };

const SPECS = ["shared-bottom.mtl", "omoe.mtl", "mmoe.mtl", "esmm.mtl", "ple.mtl", "esmm-mmoe-gmv.mtl", "escm2.mtl"];
const STEPS = 300;

const data = (async () => {
  await selectBackend();
  return smallEsmmData(tempDir("train-data"), 40_000, 5_000);
})();

for (const spec of SPECS) {
  test(`${spec}: ${STEPS} steps lower the loss and beat chance; a fresh process predicts identically`, async () => {
    const { train, valid } = await data;
    const { ir, text } = specIr(spec);
    ir.train.batch = 256;
    ir.train.epochs = 10;
    ir.train.optimizer = { type: "adam", lr: 0.005, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };
    const out = tempDir(spec.replace(".mtl", ""));
    const result = await trainModel({
      ir,
      specText: text,
      train: { file: train, read: readOptionsFor(train, ir.data) },
      valid: { file: valid, read: readOptionsFor(valid, ir.data) },
      out,
      skipBadRows: 0,
      maxSteps: STEPS,
      shuffleBuffer: 4096,
      events: quiet,
    });
    assert.equal(result.steps, STEPS);
    const first = mean(result.losses.slice(0, 30));
    const last = mean(result.losses.slice(-30));
    assert.ok(last < first, `loss should fall: first 30 steps ${first.toFixed(4)}, last 30 ${last.toFixed(4)}`);
    const labelled = new Set(ir.tasks.filter((t) => t.label).map((t) => t.name));
    for (const row of result.metrics.filter((m) => labelled.has(m.task))) {
      if (row.metrics.type === "binary") {
        const { auc, logLoss, positiveRate: p } = row.metrics;
        assert.ok(auc > 0.58, `${spec} ${row.task} AUC ${auc.toFixed(3)} on ${row.on} should beat 0.5 clearly`);
        // Dense heads start at the base rate, so beating its log loss means the features were used. A product
        // (esmm-mmoe-gmv's ctcvr) has no head of its own: it moves only as its factors' heads and towers do for
        // their own losses too, and after 300 steps its log loss sits within about 1% of the base rate's either
        // side, with rounding alone deciding which. Its AUC above says that it ranks.
        const baseRate = -(p * Math.log(p) + (1 - p) * Math.log(1 - p));
        const dense = ir.tasks.find((t) => t.name === row.task)!.head.op === "dense";
        if (dense) assert.ok(logLoss < baseRate, `${spec} ${row.task} log loss ${logLoss.toFixed(4)} should beat the base rate's ${baseRate.toFixed(4)}`);
      } else {
        const spread = await labelStd(valid, ir.tasks.find((t) => t.name === row.task)!);
        assert.ok(row.metrics.rmse < spread, `${spec} ${row.task} RMSE ${row.metrics.rmse.toFixed(3)} should beat predicting the mean (${spread.toFixed(3)})`);
      }
    }

    const loaded = await loadModelDir(out);
    const read = readOptionsFor(valid, loaded.ir.data);
    const here = await collectPredictions(loaded.ir, loaded.model, createEncoder(loaded.ir, loaded.encoding), readRecords(valid, read), valid);
    const child = spawnSync(process.execPath, [CLI, "predict", out, "--data", valid], { encoding: "utf8", maxBuffer: 64 << 20 });
    assert.equal(child.status, 0, child.stderr);
    const lines = child.stdout.trim().split("\n");
    assert.deepEqual(lines[0]!.split(","), ir.tasks.map((t) => t.name));
    assert.equal(lines.length - 1, 5_000, "one output row per input row");
    for (const [i, line] of lines.slice(1).entries()) {
      const values = line.split(",").map(Number);
      ir.tasks.forEach((t, j) => assert.equal(Math.fround(values[j]!), here[t.name]![i], `row ${i + 1}, task ${t.name}`));
    }
    const metrics = JSON.parse(readFileSync(join(out, "metrics.json"), "utf8")) as Record<string, { auc?: number }>;
    assert.deepEqual(Object.keys(metrics).sort(), result.metrics.map((m) => m.task).sort());
  });
}

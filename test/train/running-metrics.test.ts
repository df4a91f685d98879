import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createEncoder } from "../../src/data/encode/index.js";
import type { TaskEvaluation } from "../../src/evaluate/evaluate.js";
import { loadModelDir } from "../../src/model-dir/folder.js";
import { selectBackend } from "../../src/runtime/backend/select.js";
import { readOptionsFor } from "../../src/train/read-options.js";
import { evaluateFile, trainModel, type TrainEvents } from "../../src/train/trainer.js";
import { smallEsmmData, specIr, tempDir } from "./fixtures.js";

/** The ESMM-MMoE spec (binary, product, masked and regression tasks) without dropout, so a training pass scores as inference does. */
async function setup(rows: number) {
  await selectBackend();
  const { ir, text } = specIr("esmm-mmoe-gmv.mtl");
  for (const node of ir.nodes) if (node.op === "mlp") node.dropout = 0;
  ir.train.batch = 64;
  ir.train.epochs = 1;
  const data = await smallEsmmData(tempDir("running-data"), rows, 10);
  return { ir, text, train: { file: data.train, read: readOptionsFor(data.train, ir.data) } };
}

function recorder(): { events: TrainEvents; on: string[] } {
  const on: string[] = [];
  return { events: { fitted() {}, epochStart() {}, step() {}, epochEnd: (_epoch, _metrics, where) => void on.push(where) }, on };
}

function assertClose(actual: TaskEvaluation[], expected: TaskEvaluation[]): void {
  assert.deepEqual(actual.map((r) => [r.task, r.on]), expected.map((r) => [r.task, r.on]));
  for (const [i, row] of actual.entries()) {
    for (const [name, value] of Object.entries(row.metrics)) {
      const want = (expected[i]!.metrics as unknown as Record<string, number | string>)[name]!;
      if (typeof value === "string" || Number.isNaN(value)) assert.equal(value, want, `${row.task} ${name}`);
      // 1e-4: the training steps' forward (the fused step's, src/runtime/fused) and the full pass (TF.js's layers) agree
      // within float32 rounding, and a score that rounds the other way past a near-tie moves an AUC by 1/(pos x neg), 1.6e-5 here.
      else assert.ok(Math.abs(value - (want as number)) <= 1e-4 * Math.max(1, Math.abs(value)), `${row.task} ${name}: ${value} against ${want}`);
    }
  }
}

test("without validation data an epoch's metrics come from its own steps: with weights that cannot move they equal a full pass", async () => {
  const { ir, text, train } = await setup(700);
  // A learning rate far below float32's resolution of the weights: every step scores the rows with the initial model.
  if (ir.train.optimizer.type !== "adam") throw new Error("the spec's optimizer changed");
  ir.train.optimizer.lr = 1e-30;
  const out = tempDir("running-out");
  const { events, on } = recorder();
  const result = await trainModel({ ir, specText: text, train, out, skipBadRows: 0, shuffleBuffer: 1000, events });
  assert.deepEqual(on, ["running"]);
  const saved = await loadModelDir(out);
  const fullPass = await evaluateFile(saved.ir, saved.model, createEncoder(saved.ir, saved.encoding), train, 0, saved.encoding.labels);
  // Every row was scored once (the masked tasks on their rows only), and the figures are the full pass's.
  assertClose(result.metrics, fullPass);
  const metricsJson = JSON.parse(readFileSync(join(out, "metrics.json"), "utf8")) as Record<string, { data: string }>;
  assert.match(metricsJson["ctr"]!.data, /^training, from the last epoch's own steps/);
});

test("an epoch ended early by --max-steps is scored by a pass over all the training rows", async () => {
  const { ir, text, train } = await setup(700);
  const out = tempDir("running-partial");
  const { events, on } = recorder();
  const result = await trainModel({ ir, specText: text, train, out, skipBadRows: 0, shuffleBuffer: 1000, maxSteps: 3, events });
  assert.deepEqual(on, ["training"]);
  const ctr = result.metrics.find((r) => r.task === "ctr")!;
  assert.equal(ctr.metrics.count, 700, "all rows, not the 3 batches trained");
  const metricsJson = JSON.parse(readFileSync(join(out, "metrics.json"), "utf8")) as Record<string, { data: string }>;
  assert.equal(metricsJson["ctr"]!.data, "training");
});

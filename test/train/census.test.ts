import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { test } from "node:test";
import { selectBackend } from "../../src/runtime/backend/select.js";
import { readOptionsFor } from "../../src/train/read-options.js";
import { trainModel, type TrainEvents } from "../../src/train/trainer.js";
import { CENSUS_TEST_FILE } from "../../src/experiments/census/data-files.js";
import { specIr, tempDir } from "./fixtures.js";

const quiet: TrainEvents = { fitted() {}, epochStart() {}, step() {}, epochEnd() {} };

test("census-mmoe trains on the raw census file as shipped: headerless, padded, '?' for missing, gzip", async () => {
  const file = CENSUS_TEST_FILE;
  assert.ok(existsSync(file), `the census data should be in the repository at ${file}`);
  await selectBackend();
  const { ir, text } = specIr("census-mmoe.mtl");
  ir.train.batch = 512;
  let rows = 0;
  const result = await trainModel({
    ir,
    specText: text,
    train: { file, read: readOptionsFor(file, ir.data) },
    out: tempDir("census"),
    skipBadRows: 0,
    maxSteps: 150,
    shuffleBuffer: 20_000,
    events: { ...quiet, fitted: (n) => (rows = n) },
  });
  assert.equal(rows, 99_762);
  const byTask = Object.fromEntries(result.metrics.map((m) => [m.task, m.metrics]));
  const income = byTask["income"]!;
  const marital = byTask["marital"]!;
  assert.ok(income.type === "binary" && marital.type === "binary");
  // The positive values were decoded: 6.20% earn over 50K, 43.25% never married (SOURCE.md).
  assert.equal(income.positives, 6_186);
  assert.equal(marital.positives, 43_143);
  assert.ok(income.auc > 0.85, `income AUC ${income.auc}`);
  assert.ok(marital.auc > 0.9, `marital AUC ${marital.auc}`);
});

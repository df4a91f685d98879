import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { selectBackend } from "../../src/runtime/backend/select.js";
import { readOptionsFor } from "../../src/train/read-options.js";
import { trainModel, type TrainEvents } from "../../src/train/trainer.js";
import { smallEsmmData, specIr, tempDir } from "./fixtures.js";

const quiet: TrainEvents = { fitted() {}, epochStart() {}, step() {}, epochEnd() {} };

async function trainOnce(seed: number, data: { train: string }): Promise<{ weights: Buffer; losses: number[] }> {
  const { ir, text } = specIr("esmm-mmoe-gmv.mtl");
  ir.train.batch = 128;
  ir.train.seed = seed;
  const out = tempDir("repro");
  const result = await trainModel({
    ir,
    specText: text,
    train: { file: data.train, read: readOptionsFor(data.train, ir.data) },
    out,
    skipBadRows: 0,
    maxSteps: 25,
    shuffleBuffer: 1000,
    events: quiet,
  });
  const manifest = JSON.parse(readFileSync(join(out, "model.json"), "utf8")) as { weightsManifest: { paths: string[] }[] };
  return { weights: readFileSync(join(out, manifest.weightsManifest[0]!.paths[0]!)), losses: result.losses };
}

test("same spec, data and seed give the same weights; another seed does not", async () => {
  await selectBackend();
  const data = await smallEsmmData(tempDir("repro-data"), 4000, 100);
  const a = await trainOnce(7, data);
  const b = await trainOnce(7, data);
  const c = await trainOnce(8, data);
  assert.deepEqual(b.losses, a.losses);
  assert.ok(a.weights.equals(b.weights), "weights differ between two runs with one seed");
  assert.ok(!a.weights.equals(c.weights), "a different seed should give different weights");
});

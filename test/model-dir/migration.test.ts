/**
 * A model folder written before IR version 3 (its ir.json at version 2, as
 * mtl wrote it then: widths on features and nodes, no `where.task`, no
 * `evaluation`) loads through the upgrade and the gate, and predicts and
 * evaluates exactly as the same folder with a current ir.json.
 */
import assert from "node:assert/strict";
import { cpSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import { runCli, tempDir } from "../helpers/cli.js";
import { rewriteManifest } from "../helpers/model-folder.js";
import { cliFrom } from "../helpers/paths.js";
import { smallRun } from "../train/checkpoint/fixtures.js";
import { parse } from "csv-parse/sync";
import { IR_VERSION, type ValidIR } from "../../src/ir/types.js";
import { buildModel, loadModel, saveModel } from "../../src/runtime/graph/index.js";
import { unblocked } from "../helpers/unblocked.js";
import { ModelDirError } from "../../src/errors.js";
import { verifyModelDir } from "../../src/model-dir/folder.js";
import { selectBackend } from "../../src/runtime/backend/select.js";
import { loadScorer } from "../../src/serve/scorer.js";

const cli = cliFrom(import.meta.url);
const { dir } = tempDir("ir-migration");
/** The spec and the IR version 2 that mtl (before IR version 3) wrote for it. */
const OLD = JSON.parse(readFileSync(new URL("../../../test/model-dir/fixtures/small-ir-v2.json", import.meta.url), "utf8")) as { spec: string; ir: { irVersion: number } };

before(async () => {
  const { spec, data } = await smallRun(dir, 400);
  writeFileSync(spec, OLD.spec);
  const trained = runCli(cli, ["train", spec, "--data", data, "--out", "model", "--max-steps", "5", "--quiet"], { cwd: dir });
  assert.equal(trained.status, 0, trained.stderr);
  cpSync(join(dir, "model"), join(dir, "old-model"), { recursive: true });
  assert.equal(OLD.ir.irVersion, 2);
  writeFileSync(join(dir, "old-model", "ir.json"), JSON.stringify(OLD.ir, null, 2) + "\n");
  rewriteManifest(join(dir, "old-model"));
});

test("a model folder with a version 2 ir.json predicts the same scores as with the current IR", async () => {
  assert.equal((JSON.parse(readFileSync(join(dir, "model", "ir.json"), "utf8")) as { irVersion: number }).irVersion, IR_VERSION);
  await selectBackend("cpu");
  const rows = (parse(readFileSync(join(dir, "train.csv"), "utf8"), { columns: true }) as Record<string, string>[]).slice(0, 200);
  const current = await loadScorer(join(dir, "model"));
  const old = await loadScorer(join(dir, "old-model"));
  assert.deepEqual(old.tasks, current.tasks);
  assert.deepEqual(old.score(rows), current.score(rows));
  current.dispose();
  old.dispose();
});

test("it evaluates the same, the latent cvr still scored against purchase on clicked rows", () => {
  const current = runCli(cli, ["eval", "model", "--data", "train.csv", "--json"], { cwd: dir });
  const old = runCli(cli, ["eval", "old-model", "--data", "train.csv", "--json"], { cwd: dir });
  assert.equal(current.status, 0, current.stderr);
  assert.equal(old.status, 0, old.stderr);
  assert.equal(old.stdout, current.stdout);
  assert.match(current.stdout, /"cvr": \{\s*"on": "click = 1"/);
});

test("a damaged ir.json is refused with its path and one line", () => {
  cpSync(join(dir, "model"), join(dir, "damaged"), { recursive: true });
  const ir = JSON.parse(readFileSync(join(dir, "damaged", "ir.json"), "utf8")) as { tasks: { head: { input?: string } }[] };
  ir.tasks[0]!.head.input = "nowhere";
  writeFileSync(join(dir, "damaged", "ir.json"), JSON.stringify(ir));
  rewriteManifest(join(dir, "damaged"));
  assert.throws(
    () => verifyModelDir(join(dir, "damaged")),
    (error: unknown) =>
      error instanceof ModelDirError &&
      !error.message.includes("\n") &&
      /damaged[/\\]ir\.json is not a valid mtl IR \(\/tasks\/0\/head\/input: 'nowhere' is not a feature or an earlier node\)/.test(error.message),
  );
});

/** Three numeric features side by side: since numeric blocks they are one [batch, 3] input, before they were three. */
const WIDE_SPEC = `model wide
feature user_id   : categorical(buckets: 500, dim: 4)
feature price     : numeric(transform: log1p, normalize: zscore)
feature user_age  : numeric()
feature price_raw : numeric(column: price, normalize: minmax)
input x = concat(*)
tower t = mlp(x, [8])
task ctr : binary = t label click
train { batch: 32, seed: 3 }
`;

test("a model folder saved before numeric blocks (one input per numeric feature) loads onto the blocked graph and predicts the same", async () => {
  writeFileSync(join(dir, "wide.mtl"), WIDE_SPEC);
  const trained = runCli(cli, ["train", "wide.mtl", "--data", "train.csv", "--out", "wide", "--max-steps", "5", "--quiet"], { cwd: dir });
  assert.equal(trained.status, 0, trained.stderr);
  const current = JSON.parse(readFileSync(join(dir, "wide", "ir.json"), "utf8")) as ValidIR;
  assert.deepEqual(current.numericBlocks, [{ name: "x_numeric", features: ["price", "user_age", "price_raw"] }]);

  // The folder as mtl wrote it before: a version 2 ir.json and a model.json reading every feature on its own, same weights.
  await selectBackend("cpu");
  cpSync(join(dir, "wide"), join(dir, "wide-old"), { recursive: true });
  const { numericBlocks: _blocks, ...v2 } = { ...unblocked(current), irVersion: 2 };
  writeFileSync(join(dir, "wide-old", "ir.json"), JSON.stringify(v2, null, 2) + "\n");
  const perFeature = buildModel(unblocked(current)).model;
  const saved = await loadModel(join(dir, "wide"));
  for (const layer of perFeature.layers) if (layer.weights.length > 0) layer.setWeights(saved.getLayer(layer.name).getWeights());
  const weightFiles = () => readdirSync(join(dir, "wide-old")).filter((f) => f.endsWith(".bin"));
  const before = weightFiles();
  await saveModel(perFeature, join(dir, "wide-old"));
  assert.deepEqual(weightFiles(), before, "the same weights in the same order: the same weight file");
  rewriteManifest(join(dir, "wide-old"));
  assert.deepEqual((await loadModel(join(dir, "wide-old"))).inputNames.sort(), ["price", "price_raw", "user_age", "user_id"]);

  const rows = (parse(readFileSync(join(dir, "train.csv"), "utf8"), { columns: true }) as Record<string, string>[]).slice(0, 200);
  const now = await loadScorer(join(dir, "wide"));
  const old = await loadScorer(join(dir, "wide-old"));
  const scores = now.score(rows);
  assert.deepEqual(old.score(rows), scores);
  assert.ok(new Set(scores["ctr"]).size > 10, "the scores depend on the rows");
  now.dispose();
  old.dispose();
});

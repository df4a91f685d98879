/**
 * `mtl train --engine torch`: the round trip (train with PyTorch in two
 * processes, then `mtl predict` on the model folder gives the scores of the
 * torch model, loaded from `mtl compile --target torch --model`), the
 * options it refuses, and the help that says when to switch.
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { runCli } from "../helpers/cli.js";
import { cliFrom } from "../helpers/paths.js";
import { seededRandom } from "../helpers/random.js";
import { impressionsCsv, runProbe, scratchDir, torchOrSkip } from "../codegen/torch/torch-helpers.js";

const CLI = cliFrom(import.meta.url);

const SPEC = `
model round_trip "ESMM with a where task, for the round trip"

feature user_id : categorical(buckets: 64, dim: 4)
feature item_id : categorical(buckets: 32, dim: 4)
feature price   : numeric(transform: log1p, normalize: zscore)

input x = concat(*)
tower ctr_tower = mlp(x, [8], dropout: 0.1)
tower cvr_tower = mlp(x, [8], batchnorm: true)

task ctr   : binary = ctr_tower label click
task cvr   : binary = cvr_tower
task ctcvr : binary = ctr * cvr label purchase
`;

test("mtl train --engine torch --nproc 2 saves a model folder whose mtl predict scores are the torch model's", async (t) => {
  const python = torchOrSkip(t);
  if (python === null) return;
  const dir = scratchDir("round-trip");
  const spec = join(dir, "round_trip.mtl");
  const data = join(dir, "rows.csv");
  const model = join(dir, "model");
  writeFileSync(spec, SPEC);
  writeFileSync(data, impressionsCsv(96, seededRandom(5)));
  const trained = runCli(CLI, ["train", spec, "--engine", "torch", "--nproc", "2", "--data", data, "--out", model, "--batch", "16", "--epochs", "2"], { timeoutMs: 300_000 });
  assert.equal(trained.status, 0, trained.stderr);
  assert.match(trained.stderr, /engine: PyTorch \S+ \(.*python.*\), 2 processes/);
  assert.match(trained.stderr, /saved the model to .* after 6 steps/);

  const predicted = runCli(CLI, ["predict", model, "--data", data], { timeoutMs: 120_000 });
  assert.equal(predicted.status, 0, predicted.stderr);
  const [header, ...lines] = predicted.stdout.trim().split("\n");
  assert.equal(header, "ctr,cvr,ctcvr");

  // The package compiled with --model carries the trained weights and statistics in trained/, which train.py starts from.
  const pkg = join(dir, "package");
  const compiled = runCli(CLI, ["compile", spec, "--target", "torch", "--model", model, "-o", pkg]);
  assert.equal(compiled.status, 0, compiled.stderr);
  const { predicted: [torch] } = runProbe(python, { predict: [{ package: pkg, model: join(pkg, "trained"), file: data }] }) as { predicted: Record<string, number[]>[] };
  assert.equal(lines.length, 96);
  lines.forEach((line, row) => {
    line.split(",").forEach((value, k) => {
      const task = header!.split(",")[k]!;
      const diff = Math.abs(Number(value) - torch![task]![row]!);
      assert.ok(diff <= 1e-5, `row ${row + 1}, task ${task}: mtl predict ${value}, torch ${torch![task]![row]}`);
    });
  });

  const again = runCli(CLI, ["train", spec, "--engine", "torch", "--data", data, "--out", model]);
  assert.equal(again.status, 2, again.stderr);
  assert.match(again.stderr, /already holds a trained model: pass --force/);
});

test("mtl train --engine torch refuses the options train.py has no counterpart for, saying what to do", () => {
  const result = runCli(CLI, ["train", "specs/mmoe.mtl", "--engine", "torch", "--data", "x.csv", "--out", "m", "--valid", "v.csv"]);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /--engine torch does not take --valid: evaluate the saved model with `mtl eval MODEL --data FILE`/);
  const nproc = runCli(CLI, ["train", "specs/mmoe.mtl", "--data", "x.csv", "--out", "m", "--nproc", "2"]);
  assert.equal(nproc.status, 2);
  assert.match(nproc.stderr, /--nproc needs --engine torch/);
});

test("mtl train --engine torch refuses an --out folder holding another tool's model.json, before looking for Python, and leaves it", () => {
  const dir = scratchDir("torch-foreign");
  const out = join(dir, "export");
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, "model.json"), "{\"theirs\": 1}\n");
  writeFileSync(join(dir, "x.csv"), "user_id,item_id,price,click,purchase\nu1,i1,2,1,0\n");
  const result = runCli(CLI, ["train", "specs/esmm.mtl", "--engine", "torch", "--data", join(dir, "x.csv"), "--out", out], { env: { ...process.env, MTL_PYTHON: "/nonexistent/python3" } });
  assert.equal(result.status, 1, result.stderr);
  assert.match(result.stderr, /^mtl: error: \S*export is not an mtl model folder, but holds model\.json, which saving the model would overwrite: .*pass --force/);
  assert.equal(readFileSync(join(out, "model.json"), "utf8"), "{\"theirs\": 1}\n");
});

test("mtl compile --help says when to switch to PyTorch and how: N processes, torchrun's rendezvous for several machines, GPUs", () => {
  const help = runCli(CLI, ["compile", "--help"]).stdout;
  assert.match(help, /torch\s+a Python package/);
  assert.match(help, /--engine torch --nproc N/);
  assert.match(help, /torchrun --nnodes M --nproc_per_node N --rdzv_backend c10d --rdzv_endpoint HOST:29400/);
  assert.match(help, /GPUs:/);
});

/**
 * The library entry (`import ... from "mtl"`, through package.json's
 * exports) scores candidates from a Node service as `mtl predict` scores the
 * same rows from a file.
 */
import assert from "node:assert/strict";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import { parse } from "csv-parse/sync";
import { runCli, tempDir } from "../helpers/cli.js";
import { poisonLastWeight } from "../helpers/model-folder.js";
import { cliFrom } from "../helpers/paths.js";
import { smallRun } from "../train/checkpoint/fixtures.js";

type Mtl = typeof import("../../src/index.js");

const cli = cliFrom(import.meta.url);
const { dir } = tempDir("scorer");
let mtl: Mtl;
let rows: Record<string, string>[];

before(async () => {
  const { spec, data } = await smallRun(dir, 400);
  const trained = runCli(cli, ["train", spec, "--data", data, "--out", "model", "--max-steps", "5", "--quiet"], { cwd: dir });
  assert.equal(trained.status, 0, trained.stderr);
  rows = (parse(readFileSync(data, "utf8"), { columns: true }) as Record<string, string>[]).slice(0, 50);
  // By package name: a self-reference resolved through package.json's "exports".
  mtl = (await import("mtl" as string)) as Mtl;
  await mtl.selectBackend();
});

test("loadScorer scores candidates like mtl predict scores the same rows", async () => {
  const scorer = await mtl.loadScorer(join(dir, "model"));
  assert.deepEqual(scorer.tasks, ["ctr", "cvr", "ctcvr"]);
  const scores = scorer.score(rows);

  const csv = ["user_id,item_id,price", ...rows.map((r) => `${r["user_id"]},${r["item_id"]},${r["price"]}`)].join("\n") + "\n";
  writeFileSync(join(dir, "candidates.csv"), csv);
  const predicted = runCli(cli, ["predict", "model", "--data", "candidates.csv"], { cwd: dir });
  assert.equal(predicted.status, 0, predicted.stderr);
  const expected = parse(predicted.stdout, { columns: true }) as Record<string, string>[];
  assert.equal(expected.length, rows.length);
  for (const task of scorer.tasks) {
    assert.equal(scores[task]!.length, rows.length);
    expected.forEach((row, i) => assert.ok(Math.abs(scores[task]![i]! - Number(row[task])) <= 1e-6, `${task}[${i}]: ${scores[task]![i]} != ${row[task]}`));
  }
  scorer.dispose();
});

test("missing values and unseen categories are filled as in predict; a bad value names the candidate and column", async () => {
  const scorer = await mtl.loadScorer(join(dir, "model"));
  const scores = scorer.score([{ user_id: "never-seen", item_id: null }, {}]);
  for (const task of scorer.tasks) assert.ok(scores[task]!.every((p) => p > 0 && p < 1), task);
  assert.throws(
    () => scorer.score([{ user_id: "1", item_id: "2", price: 3 }, { user_id: "1", item_id: "2", price: "cheap" }]),
    (error: unknown) => error instanceof mtl.DataError && error.line === 2 && /<request>:2/.test(error.render()) && /price/.test(error.render()),
  );
  assert.deepEqual(scorer.score([]), { ctr: new Float32Array(0), cvr: new Float32Array(0), ctcvr: new Float32Array(0) });
  // From untyped callers: a null or an array candidate was a TypeError, or scored silently as all-missing.
  for (const bad of [null, 5, ["1", "2"]]) {
    assert.throws(
      () => scorer.score([{ user_id: "1" }, bad as never]),
      (error: unknown) => error instanceof mtl.DataError && error.line === 2 && /<request>:2: error: a candidate must be an object/.test(error.render()),
      String(bad),
    );
  }
  assert.throws(() => scorer.score(null as never), (error: unknown) => error instanceof mtl.DataError && /an array of candidates, got null/.test(error.message));
  scorer.dispose();
});

test("loadScorer refuses a model whose weights hold NaN, naming the weight", async () => {
  cpSync(join(dir, "model"), join(dir, "nan-model"), { recursive: true });
  const { name } = poisonLastWeight(join(dir, "nan-model"));
  await assert.rejects(mtl.loadScorer(join(dir, "nan-model")), (error: unknown) => error instanceof Error && error.message.includes(`the weight '${name}' holds a NaN`));
});

/**
 * A spec whose tables cannot fit the wasm heap: `mtl train` refuses it in one
 * line before reading the data, instead of failing inside TensorFlow.js with
 * "memory access out of bounds" reported as an internal error.
 */
import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { assertNoCrash, runCli, tempDir } from "../helpers/cli.js";
import { cliFrom } from "../helpers/paths.js";

const cli = cliFrom(import.meta.url);

test("train refuses a model too large for the wasm backend with its size and the fix, and writes nothing", () => {
  const { dir } = tempDir("too-large");
  writeFileSync(
    join(dir, "huge.mtl"),
    "model huge\nfeature C[26] : categorical(buckets: 10_000_000, dim: 64)\ninput x = concat(*)\ntower t = mlp(x, [8])\ntask ctr : binary = t label click\n",
  );
  // Not even a data file: the check comes before reading it.
  const result = runCli(cli, ["train", "huge.mtl", "--data", "missing.csv", "--out", "model", "--backend", "wasm"], { cwd: dir });
  assertNoCrash(result, "train huge");
  assert.equal(result.status, 1, result.stderr);
  assert.match(result.stderr, /^mtl: error: model 'huge' needs about 199\.7 GB .*more than the wasm backend can address \(4 GB\)\. Use fewer buckets or a smaller dim/m);
  assert.ok(!existsSync(join(dir, "model")), "no model folder");
});

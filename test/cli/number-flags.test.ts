/**
 * Numeric flags of `generate`, `demo` and `train` are checked, with their
 * range in the message, before any work: a slip like `--rows 1e20` must not
 * start filling the disk, and `demo --epochs 0` must not first generate its
 * data. Seeds are bounded like the spec's train.seed, so that no two seeds
 * (digit strings beyond 2^53 that Number() rounds together) give one model.
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { assertUsageError, tempDir } from "../helpers/cli.js";
import { cliFrom, repoRoot } from "../helpers/paths.js";
import { runCliAsync } from "../helpers/train-cli.js";

const cli = cliFrom(import.meta.url);
const { dir } = tempDir("number-flags");
const spec = join(repoRoot(), "specs", "esmm.mtl");

const cases: Array<[string, string[], RegExp]> = [
  ["generate --rows 1e20", ["generate", "esmm", "--rows", "1e20", "-o", "a.csv"], /--rows must be a whole number from 1 to 1,000,000,000, got '1e20'/],
  ["generate --rows 2.5", ["generate", "esmm", "--rows", "2.5", "-o", "a.csv"], /--rows must be a whole number/],
  ["generate --holdout 0", ["generate", "esmm", "--rows", "5", "-o", "a.csv", "--holdout", "0", "--holdout-output", "b.csv"], /--holdout must be a whole number from 1/],
  ["generate --seed beyond 2^53", ["generate", "esmm", "--rows", "5", "-o", "a.csv", "--seed", "9007199254740993"], /--seed must be a whole number from 0 to 2,147,483,647 \(the range of the spec's train\.seed\), got '9007199254740993'/],
  ["generate --seed -1", ["generate", "esmm", "--rows", "5", "-o", "a.csv", "--seed", "-1"], /--seed must be a whole number from 0/],
  ["generate --seed ''", ["generate", "esmm", "--rows", "5", "-o", "a.csv", "--seed", ""], /--seed must be a whole number from 0/],
  ["generate mmoe --dim 1e9", ["generate", "mmoe", "--rows", "5", "-o", "a.csv", "--dim", "1e9"], /--dim must be a whole number from 2 to 10,000/],
  ["demo --rows 1e20", ["demo", "--rows", "1e20", "--out", "demo"], /--rows must be a whole number from 6 to 99,762, got '1e20'/],
  ["demo esmm --rows 1e20", ["demo", "esmm", "--rows", "1e20", "--out", "demo"], /--rows must be a whole number from 1,000 to 10,000,000, got '1e20'/],
  ["demo esmm --epochs 0", ["demo", "esmm", "--epochs", "0", "--out", "demo"], /--epochs must be a whole number from 1 to 1,000,000/],
  ["demo --epochs 0", ["demo", "--epochs", "0", "--out", "demo"], /--epochs must be a whole number from 1 to 1,000,000 \(the range of the spec's train\.epochs\), got '0'/],
  ["train --seed beyond 2^53", ["train", spec, "--data", "none.csv", "--out", "model", "--seed", "9007199254740992"], /--seed must be a whole number from 0 to 2,147,483,647/],
  ["train --threads 0", ["train", spec, "--data", "none.csv", "--out", "model", "--threads", "0"], /--threads must be a whole number from 1 to 1,024, got '0'/],
  ["train --threads 2.5", ["train", spec, "--data", "none.csv", "--out", "model", "--threads", "2.5"], /--threads must be a whole number from 1 to 1,024/],
  ["train --engine torch --threads 0", ["train", spec, "--engine", "torch", "--data", "none.csv", "--out", "model", "--threads", "0"], /--threads must be a whole number from 1 to 1,024, got '0'/],
  ["train --batch 1e9", ["train", spec, "--data", "none.csv", "--out", "model", "--batch", "1e9"], /--batch must be a whole number from 1 to 16,777,216/],
];

test("out-of-range numeric flags are usage errors stating the range, and nothing is written", async () => {
  const results = await Promise.all(cases.map(([, args]) => runCliAsync(cli, args, { cwd: dir })));
  results.forEach((result, i) => {
    const [what, , message] = cases[i]!;
    assertUsageError(result, what, message);
  });
  assert.deepEqual(readdirSync(dir), [], "no data, model or temp file may be written");
});

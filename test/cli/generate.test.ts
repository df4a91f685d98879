import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { compileSource } from "../../src/compiler.js";
import { esmmLogColumns } from "../../src/data/synthetic/esmm-log.js";
import { neededColumns } from "../../src/train/columns.js";
import { assertUsageError, runCli, tempDir } from "../helpers/cli.js";
import { cliFrom, repoRoot } from "../helpers/paths.js";

const CLI = cliFrom(import.meta.url);

test("generate refuses --output and --holdout-output naming one file, by any name, and writes nothing", () => {
  const { dir } = tempDir("generate-same");
  for (const [output, holdout] of [["g.csv", "g.csv"], ["g.csv", "./g.csv"]] as const) {
    const result = runCli(CLI, ["generate", "esmm", "--rows", "10", "-o", output, "--holdout", "5", "--holdout-output", holdout], { cwd: dir });
    assertUsageError(result, `-o ${output} --holdout-output ${holdout}`, new RegExp(`--holdout-output ${holdout.replace(".", "\\.")} and --output g\\.csv are the same file: one would overwrite the other`));
  }
  assert.deepEqual(readdirSync(dir), []);
});

test("generate esmm-log writes every column esmm-weighted.mtl reads", () => {
  const { dir } = tempDir("generate-esmm-log");
  const made = runCli(CLI, ["generate", "esmm-log", "--rows", "600", "-o", "train.csv", "--holdout", "200", "--holdout-output", "valid.csv", "--seed", "3"], { cwd: dir });
  assert.equal(made.status, 0, made.stderr);
  const [header, ...rows] = readFileSync(join(dir, "train.csv"), "utf8").trim().split("\n");
  assert.deepEqual(header!.split(","), esmmLogColumns());
  assert.equal(rows.length, 600);
  assert.equal(readFileSync(join(dir, "valid.csv"), "utf8").trim().split("\n").length, 201);
  const ir = compileSource(readFileSync(join(repoRoot(), "specs", "esmm-weighted.mtl"), "utf8"), "esmm-weighted.mtl").ir!;
  const written = new Set(header!.split(","));
  assert.deepEqual(neededColumns(ir, true).map((n) => n.column).filter((c) => !written.has(c)), []);
});

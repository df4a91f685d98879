import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { test } from "node:test";
import { assertUsageError, runCli, tempDir } from "../helpers/cli.js";
import { cliFrom } from "../helpers/paths.js";

const CLI = cliFrom(import.meta.url);

test("generate refuses --output and --holdout-output naming one file, by any name, and writes nothing", () => {
  const { dir } = tempDir("generate-same");
  for (const [output, holdout] of [["g.csv", "g.csv"], ["g.csv", "./g.csv"]] as const) {
    const result = runCli(CLI, ["generate", "esmm", "--rows", "10", "-o", output, "--holdout", "5", "--holdout-output", holdout], { cwd: dir });
    assertUsageError(result, `-o ${output} --holdout-output ${holdout}`, new RegExp(`--holdout-output ${holdout.replace(".", "\\.")} and --output g\\.csv are the same file: one would overwrite the other`));
  }
  assert.deepEqual(readdirSync(dir), []);
});

/**
 * The first run (`npm start` = `mtl demo`) at a small size, read as a user
 * reads it: each task's test AUC beside the MMoE paper's Table 1 figures,
 * paths that exist, and a "Next" command that works and agrees with the AUC
 * printed. `mtl demo esmm` likewise prints its one table and real paths.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { PAPER_TABLE_1, TASK_LABELS } from "../../src/experiments/census/report.js";
import { CENSUS_TASKS } from "../../src/experiments/census/specs.js";
import { tempDir } from "../helpers/cli.js";
import { cliFrom } from "../helpers/paths.js";
import { assertOk, runCliAsync } from "../helpers/train-cli.js";

const cli = cliFrom(import.meta.url);

/** The indented lines under a heading such as "Written:", up to the next blank line. */
function section(stdout: string, heading: string): string[] {
  const lines = stdout.split("\n");
  const start = lines.indexOf(heading);
  assert.ok(start >= 0, `no '${heading}' section in:\n${stdout}`);
  const end = lines.findIndex((l, i) => i > start && l.trim() === "");
  return lines.slice(start + 1, end < 0 ? undefined : end).map((l) => l.trim());
}

/** The paths the "Written:" lines name: what comes before the two spaces of each, split at ", ". */
function writtenPaths(lines: readonly string[]): string[] {
  return lines.flatMap((l) => l.split(/\s{2,}/)[0]!.split(", "));
}

describe("mtl demo", { concurrency: 2 }, () => {
  const { dir, remove } = tempDir("demo");
  after(remove);

  test("the census first run prints each task's test AUC beside the paper's Table 1, writes what it lists, and its eval command agrees", async () => {
    const result = await runCliAsync(cli, ["demo", "--rows", "3000", "--epochs", "1", "--out", "census"], { cwd: dir, timeoutMs: 120_000 });
    assertOk(result, "mtl demo");
    const printed: Record<string, number> = {};
    for (const task of CENSUS_TASKS) {
      const paper = PAPER_TABLE_1.mmoe[task];
      const line = result.stdout.split("\n").find((l) => l.trim().startsWith(TASK_LABELS[task]));
      assert.ok(line, `no line for ${TASK_LABELS[task]} in:\n${result.stdout}`);
      const match = new RegExp(`^\\s*${TASK_LABELS[task]}\\s+(0\\.\\d{4})\\s+${paper.best.toFixed(4)} / ${paper.mean.toFixed(4)}$`).exec(line);
      assert.ok(match, `'${line}' should hold this run's AUC, then the paper's best / mean`);
      printed[task] = Number(match[1]);
    }
    assert.match(result.stdout, /MMoE on UCI Census-Income \(\S*census-mmoe\.mtl\): 1 epoch on 2,000 rows, scored on 500 held-out rows, in \d+ s/);

    const written = writtenPaths(section(result.stdout, "Written:"));
    assert.deepEqual(written, ["census/model/", "census/census-mmoe.svg", "census/census-mmoe.ts", "census/data/"]);
    for (const path of written) assert.ok(existsSync(join(dir, path)), `${path} is listed but does not exist`);
    assert.ok(existsSync(join(dir, "census", "model", "model.json")), "the model folder holds the model");
    assert.match(readFileSync(join(dir, "census", "census-mmoe.svg"), "utf8"), /<svg[\s\S]*income[\s\S]*<\/svg>/);
    assert.match(readFileSync(join(dir, "census", "census-mmoe.ts"), "utf8"), /export (async )?function predict/);

    // The first "Next" command, run as printed: the test AUC it reports is the one the demo printed.
    const evalLine = section(result.stdout, "Next:")[0]!;
    const args = evalLine.split(/\s{2,}/)[0]!.split(" ");
    assert.deepEqual(args.slice(0, 3), ["npx", "mtl", "eval"]);
    const evaluation = await runCliAsync(cli, args.slice(2), { cwd: dir, timeoutMs: 60_000 });
    assertOk(evaluation, evalLine);
    for (const task of CENSUS_TASKS) {
      const row = evaluation.stdout.split("\n").find((l) => l.startsWith(`${task} `));
      const auc = Number(row?.trim().split(/\s+/)[4]);
      assert.equal(auc.toFixed(4), printed[task]!.toFixed(4), `mtl eval's ${task} AUC (${row}) should be the demo's`);
    }
    // The "Next" predict command as printed works too (it was `| head`, which ended in "standard output was closed", exit 1).
    const predictLine = section(result.stdout, "Next:")[1]!.split(/\s{2,}/)[0]!;
    assert.match(predictLine, /^npx mtl predict [^|]*$/);
    const predicted = await runCliAsync(cli, predictLine.split(" ").slice(2), { cwd: dir, timeoutMs: 60_000 });
    assertOk(predicted, predictLine);
    assert.equal(readFileSync(join(dir, "census", "scores.csv"), "utf8").split("\n")[0], CENSUS_TASKS.join(","));
  });

  test("demo esmm prints ESMM, the clicks-only CVR model and the truth on one CTCVR table, and writes what it lists", async () => {
    const result = await runCliAsync(cli, ["demo", "esmm", "--rows", "2000", "--epochs", "1", "--out", "esmm"], { cwd: dir, timeoutMs: 120_000 });
    assertOk(result, "mtl demo esmm");
    assert.match(result.stdout, /^\s+AUC on 2,000 test impressions\s+ESMM\s+clicks-only CVR\s+true probabilities$/m);
    assert.match(result.stdout, /^\s+CTCVR: pCTR × pCVR against purchase(\s+(0|1)\.\d{4}){3}$/m);
    assert.doesNotMatch(result.stdout, /entire.space (pCVR|CVR)/i, "the demo makes no entire-space pCVR claim");
    const written = writtenPaths(section(result.stdout, "Written:"));
    assert.deepEqual(written, ["esmm/esmm/", "esmm/naive-shared/", "esmm/esmm.svg", "esmm/esmm.ts", "esmm/data/"]);
    for (const path of written) assert.ok(existsSync(join(dir, path)), `${path} is listed but does not exist`);
  });
});

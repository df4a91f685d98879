/**
 * `mtl eval` end to end: GAUC against a reference computed from `mtl predict`'s
 * scores, calibration numbers present, a misspelt --group-by, and --report.
 * One small MMoE is trained once, in `before`.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { assertUsageError, tempDir, type CliResult } from "../helpers/cli.js";
import { cliFrom, repoRoot } from "../helpers/paths.js";
import { referenceGauc } from "../helpers/gauc-reference.js";
import { assertDataError, assertOk, parsePredictionCsv, runCliAsync } from "../helpers/train-cli.js";

const cli = cliFrom(import.meta.url);
const { dir } = tempDir("eval-cli");
const mtl = (args: readonly string[]): Promise<CliResult> => runCliAsync(cli, args, { cwd: dir });
const MODEL = "model";

let setup: CliResult[] = [];

describe("mtl eval", { concurrency: 2 }, () => {
  before(async () => {
    setup = [
      // Frequent clicks and purchases, so that many categories hold both classes (and some only one).
      await mtl(["generate", "esmm", "--rows", "1200", "-o", "train.csv", "--holdout", "400", "--holdout-output", "valid.csv", "--seed", "5", "--ctr", "0.3", "--cvr", "0.4"]),
      await mtl(["train", join(repoRoot(), "specs", "mmoe.mtl"), "--data", "train.csv", "--out", MODEL, "--epochs", "1", "--max-steps", "6", "--quiet"]),
    ];
  });

  function assertSetup(): void {
    assertOk(setup[0]!, "generate");
    assertOk(setup[1]!, "train");
  }

  test("--group-by: GAUC per task under its where equals a pairwise reference over mtl predict's scores", async () => {
    assertSetup();
    const [evaluated, predicted] = await Promise.all([mtl(["eval", MODEL, "--data", "valid.csv", "--group-by", "category", "--json"]), mtl(["predict", MODEL, "--data", "valid.csv"])]);
    assertOk(evaluated, "eval");
    assertOk(predicted, "predict");
    const metrics = JSON.parse(evaluated.stdout) as Record<string, Record<string, number>>;
    const scores = parsePredictionCsv(predicted.stdout);
    const lines = readFileSync(join(dir, "valid.csv"), "utf8").trim().split("\n");
    const header = lines[0]!.split(",");
    const data = lines.slice(1).map((l) => Object.fromEntries(l.split(",").map((v, i) => [header[i]!, v])));
    for (const [task, label, where] of [["ctr", "click", null], ["cvr", "purchase", "click"]] as const) {
      const column = scores.header.indexOf(task);
      const rows = data
        .map((row, i) => ({ group: row["category"]!, s: Math.fround(scores.rows[i]![column]!), y: Number(row[label]), keep: where === null || row[where] === "1" }))
        .filter((r) => r.keep);
      const expected = referenceGauc(rows);
      const m = metrics[task]!;
      assert.ok(expected.skippedGroups > 0 && expected.rows > 0, `${task}: the data should hold both kinds of group`);
      assert.ok(Math.abs(m["gauc"]! - expected.gauc) < 1e-12, `${task}: GAUC ${m["gauc"]} vs reference ${expected.gauc}`);
      assert.equal(m["gaucGroups"], expected.groups, `${task}: groups`);
      assert.equal(m["gaucSkippedGroups"], expected.skippedGroups, `${task}: one-class groups`);
      assert.equal(m["gaucRows"], expected.rows, `${task}: rows`);
      assert.equal(m["count"], rows.length, `${task}: scored under its where`);
      for (const key of ["normalizedEntropy", "calibration", "ece"]) assert.ok(Number.isFinite(m[key]), `${task}: ${key} = ${m[key]}`);
    }
    const table = await mtl(["eval", MODEL, "--data", "valid.csv", "--group-by", "category"]);
    assertOk(table, "eval table");
    assert.match(table.stdout, /^task\s+scored on\s+rows\s+AUC\s+GAUC\s+log loss\s+NE\s+calib\.\s+ECE/m);
    assert.match(table.stdout, /^note: task 'cvr': GAUC over \d+ of \d+ groups \(\d+ rows\); \d+ groups? with one class only left out$/m);
  });

  test("a --group-by column the file does not have is named, with the columns it has", async () => {
    assertSetup();
    const result = await mtl(["eval", MODEL, "--data", "valid.csv", "--group-by", "usr_id"]);
    const line = assertUsageError(result, "bad --group-by", /--group-by: valid\.csv has no column 'usr_id'; its columns are: /);
    assert.ok(line.includes("user_id, item_id, category"), line);
  });

  test("a file without a label column is refused at its header, even with --skip-bad-rows", async () => {
    assertSetup();
    // The encoder's per-row check ran first: 'label column is missing' on line 2, a bad row that --skip-bad-rows skipped.
    const lines = readFileSync(join(dir, "valid.csv"), "utf8").trim().split("\n").map((l) => l.split(","));
    const click = lines[0]!.indexOf("click");
    writeFileSync(join(dir, "no-click.csv"), lines.map((l) => l.filter((_, i) => i !== click).join(",")).join("\n") + "\n");
    for (const extra of [[], ["--skip-bad-rows", "1000"]]) {
      const result = await mtl(["eval", MODEL, "--data", "no-click.csv", ...extra]);
      assertDataError(result, `no click column ${extra.join(" ")}`, { file: "no-click.csv", line: 1, field: "click", message: /: error: column 'click' is missing, but the label of task 'ctr' reads it/ });
    }
  });

  test("a row without a group value stops the run at its line", async () => {
    assertSetup();
    const text = readFileSync(join(dir, "valid.csv"), "utf8").split("\n");
    text[3] = text[3]!.replace(/^[^,]*/, "");
    writeFileSync(join(dir, "no-user.csv"), text.join("\n"));
    const result = await mtl(["eval", MODEL, "--data", "no-user.csv", "--group-by", "user_id"]);
    assertDataError(result, "empty group", { file: "no-user.csv", line: 4, field: "user_id", message: /no value in the --group-by column 'user_id'/ });
  });

  test("--report writes report.md with the table and a reliability diagram per binary task", async () => {
    assertSetup();
    const result = await mtl(["eval", MODEL, "--data", "valid.csv", "--group-by", "user_id", "--report", "out/report"]);
    assertOk(result, "eval --report");
    const page = readFileSync(join(dir, "out/report/report.md"), "utf8");
    assert.match(page, /^# Evaluation of mmoe$/m);
    assert.match(page, /^\| task \| scored on \| rows \| AUC \| GAUC \| log loss \| NE \| calib\. \| ECE \|/m);
    assert.match(page, /^\| cvr \| click = 1 \| \d+ \| 0\.\d{4} \|/m, "cvr is scored where click = 1, and the page says so");
    assert.match(page, /^- task 'ctr': GAUC over /m);
    for (const task of ["ctr", "cvr"]) {
      assert.ok(page.includes(`](reliability-${task}.svg)`), `the page shows ${task}'s diagram`);
      const svg = readFileSync(join(dir, "out/report", `reliability-${task}.svg`), "utf8");
      assert.match(svg, /^<\?xml[^>]*\?>\n<svg /);
      assert.ok(svg.includes(`data-series="perfectly calibrated"`) && svg.includes(`data-series="${task}"`), `${task}: both series drawn`);
    }
  });

  test("--report inside the model folder is refused before anything is read", async () => {
    assertSetup();
    const result = await mtl(["eval", MODEL, "--data", "valid.csv", "--report", join(MODEL, "report")]);
    assertUsageError(result, "report in model", /inside the model folder/);
  });
});

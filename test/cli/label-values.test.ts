/**
 * Label values end to end: a label spelled differently in the evaluation
 * file (UCI Adult's `>50K` / `>50K.`), a positive value that never occurs,
 * several positive values, and `where` on a column no task predicts.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { tempDir, type CliResult } from "../helpers/cli.js";
import { cliFrom } from "../helpers/paths.js";
import { assertDataError, assertOk, runCliAsync } from "../helpers/train-cli.js";

const cli = cliFrom(import.meta.url);
const { dir } = tempDir("label-values");
const mtl = (args: readonly string[]): Promise<CliResult> => runCliAsync(cli, args, { cwd: dir });

/** Adult-like rows: income depends on age, `click` is 0/1 and `stage` spells it out. */
function adult(rows: number, seed: number, positive: string, negative: string): string {
  let state = seed;
  const next = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
  const lines = ["age,income,click,stage"];
  for (let i = 0; i < rows; i++) {
    const age = 18 + Math.floor(next() * 60);
    const click = next() < 0.5 ? 1 : 0;
    lines.push(`${age},${age + next() * 30 > 60 ? positive : negative},${click},${click ? "clicked" : "shown"}`);
  }
  return lines.join("\n") + "\n";
}

function spec(name: string, task: string): string {
  const text = `model ${name}\nfeature age : numeric(normalize: zscore)\ntower t = mlp(age, [4])\n${task}\ntrain { epochs: 1  batch: 32 }\n`;
  writeFileSync(join(dir, `${name}.mtl`), text);
  return `${name}.mtl`;
}

const train = (specFile: string, out: string, extra: string[] = []) => mtl(["train", specFile, "--data", "train.csv", "--out", out, "--quiet", "--max-steps", "2", ...extra]);

describe("label values", { concurrency: 2 }, () => {
  before(() => {
    writeFileSync(join(dir, "train.csv"), adult(300, 1, ">50K", "<=50K"));
    writeFileSync(join(dir, "test.csv"), adult(200, 2, ">50K.", "<=50K."));
  });

  test("eval on a file that spells the positive class differently is an error naming the values, their counts and the fix", async () => {
    const trained = await train(spec("one", 'task income : binary = t label income is ">50K"'), "one");
    assertOk(trained, "train");
    const labels = JSON.parse(readFileSync(join(dir, "one", "encoding.json"), "utf8")).labels;
    const trainRows = readFileSync(join(dir, "train.csv"), "utf8").trimEnd().split("\n").slice(1);
    const positives = trainRows.filter((r) => r.includes(",>50K,")).length;
    assert.deepEqual(labels.income, { column: "income", positives: [">50K"], values: labels.income.values, other: 0 });
    assert.equal(labels.income.values[">50K"], positives);
    assert.equal(labels.income.values["<=50K"], trainRows.length - positives);

    const testRows = readFileSync(join(dir, "test.csv"), "utf8").trimEnd().split("\n").slice(1);
    const testPositives = testRows.filter((r) => r.includes(",>50K.,")).length;
    const { error, hint } = assertDataError(await mtl(["eval", "one", "--data", "test.csv"]), "eval", { file: "test.csv", line: null, field: "income" });
    assert.ok(error.includes(`">50K." (${testPositives} rows)`), error);
    assert.ok(error.includes(`"<=50K." (${testRows.length - testPositives} rows)`), error);
    assert.match(error, /task 'income'.*training never saw.*training saw ".*only ">50K" means 1/);
    assert.ok(hint.includes('`label income is ">50K" | ">50K."`'), hint);
  });

  test("several positive values read both files; unseen negatives are noted under the metrics", async () => {
    const trained = await train(spec("both", 'task income : binary = t label income is ">50K" | ">50K."'), "both");
    assertOk(trained, "train");
    const evaluated = await mtl(["eval", "both", "--data", "test.csv", "--json"]);
    assertOk(evaluated, "eval");
    const metrics = JSON.parse(evaluated.stdout).income;
    const testRows = readFileSync(join(dir, "test.csv"), "utf8").trimEnd().split("\n").slice(1);
    assert.equal(metrics.positives, testRows.filter((r) => r.includes(",>50K.,")).length);
    assert.ok(metrics.positives > 0 && typeof metrics.auc === "number");
    assert.match(metrics.note, /values training never saw count as negatives: "<=50K\." \(\d+ rows\)/);
    assert.match(evaluated.stderr, /test\.csv: warning: task 'income': values training never saw/);
  });

  test("a positive value that never occurs in training is an error that suggests dropping 'is' on a 0/1 column", async () => {
    const result = await train(spec("yes", 'task click : binary = t label click is "yes"'), "yes");
    const { error, hint } = assertDataError(result, "train", { file: "train.csv", line: null, field: "click" }, true);
    assert.match(error, /task 'click': no training row has the positive value "yes" of label column 'click'; its values are "[01]" \(\d+ rows\), "[01]" \(\d+ rows\)/);
    assert.match(hint, /drop 'is' \(`label click`\)/);
  });

  test("'where' on a column no task predicts masks training and evaluation, by 0/1 or by named values", async () => {
    const [byFlag, byValue] = await Promise.all([
      train(spec("flag", 'task income : binary = t label income is ">50K" where click'), "flag"),
      train(spec("named", 'task income : binary = t label income is ">50K" where stage is "clicked"'), "named"),
    ]);
    assertOk(byFlag, "train where click");
    assertOk(byValue, "train where stage");
    const clicked = readFileSync(join(dir, "train.csv"), "utf8").trimEnd().split("\n").slice(1).filter((r) => r.includes(",1,clicked")).length;
    const flag = JSON.parse(readFileSync(join(dir, "flag", "metrics.json"), "utf8")).income;
    const named = JSON.parse(readFileSync(join(dir, "named", "metrics.json"), "utf8")).income;
    assert.equal(flag.count, clicked);
    assert.equal(flag.on, "click = 1");
    assert.equal(named.on, 'stage = "clicked"');
    // The same rows, the same seed: the same model.
    assert.deepEqual({ ...named, on: "" }, { ...flag, on: "" });
  });
});

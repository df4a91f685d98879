import assert from "node:assert/strict";
import { test } from "node:test";
import { fitEncoding, LabelValueCounter, MAX_DISTINCT, parseEncoding, serializeEncoding, type LabelValues } from "../../src/data/encode/index.js";
import { checkEvaluationLabels, checkTrainingLabels } from "../../src/train/label-check.js";
import { binaryTask, catchDataError as dataError, label, model, numericFeature } from "../data/encode/fixtures.js";

const feature = numericFeature("age");
const adult = model([feature], [binaryTask("income", label("income", ">50K"))]);

function counted(ir: typeof adult, rows: Record<string, string | number>[]): Record<string, LabelValues> {
  const counter = new LabelValueCounter(ir);
  for (const fields of rows) counter.add(fields);
  return counter.result();
}

const rowsOf = (values: Record<string, number>, extra: Record<string, string | number> = {}) =>
  Object.entries(values).flatMap(([income, n]) => Array.from({ length: n }, () => ({ age: 30, income, ...extra })));

test("fitting records each binary label's values with counts, and the record survives encoding.json", async () => {
  const ir = model([feature], [binaryTask("income", label("income", ">50K")), binaryTask("click", label("click"))]);
  const rows = [
    { age: 30, income: ">50K", click: "1" },
    { age: 40, income: "<=50K", click: "true" },
    { age: 50, income: "<=50K", click: 0 },
  ];
  const state = await fitEncoding(ir, rows.map((fields, i) => ({ line: i + 2, fields })), "train.csv");
  assert.deepEqual(state.labels, {
    income: { column: "income", positives: [">50K"], values: { ">50K": 1, "<=50K": 2 }, other: 0 },
    // A 0/1 column counts decoded values, whatever the spelling.
    click: { column: "click", positives: null, values: { "1": 2, "0": 1 }, other: 0 },
  });
  assert.deepEqual(parseEncoding(serializeEncoding(state), ir).labels, state.labels);
});

test("only rows inside the task's where mask count, and a missing label outside it is no value", () => {
  const ir = model([feature], [binaryTask("cvr", label("buy"), label("click"))]);
  const counts = counted(ir, [
    { age: 1, click: 1, buy: 1 },
    { age: 1, click: 1, buy: 0 },
    { age: 1, click: 0, buy: 1 },
  ]);
  assert.deepEqual(counts["cvr"]!.values, { "1": 1, "0": 1 });
});

test("past MAX_DISTINCT values the rest go to 'other', but a declared positive value is always kept apart", () => {
  const rows = Array.from({ length: MAX_DISTINCT + 5 }, (_, i) => ({ age: 1, income: `v${i}` }));
  rows.push({ age: 1, income: ">50K" });
  const counts = counted(adult, rows)["income"]!;
  assert.equal(Object.keys(counts.values).length, MAX_DISTINCT + 1);
  assert.equal(counts.values[">50K"], 1);
  assert.equal(counts.other, 5);
});

test("training: a positive value that never occurs is an error listing the values and the nearest spelling", () => {
  const census = model([feature], [binaryTask("income", label("income", "50000+"))]);
  const error = dataError(() => checkTrainingLabels(census, counted(census, rowsOf({ "- 50000.": 1789, "50000+.": 102 })), "census.csv"));
  assert.equal(error.file, "census.csv");
  assert.equal(error.field, "income");
  assert.equal(error.message, `task 'income': no training row has the positive value "50000+" of label column 'income'; its values are "- 50000." (1,789 rows), "50000+." (102 rows)`);
  assert.equal(error.hint, 'name the values that mean 1 as the file writes them, e.g. `label income is "50000+."`');
});

test("training: 'is' on a 0/1 column is an error suggesting dropping it; other one-class tasks are warnings", () => {
  const yes = model([feature], [binaryTask("click", label("click", "yes"))]);
  const error = dataError(() => checkTrainingLabels(yes, { click: { column: "click", positives: ["yes"], values: { "0": 90, "1": 10 }, other: 0 } }, "t.csv"));
  assert.equal(error.hint, "the column holds 0/1 or true/false: drop 'is' (`label click`)");
  const plain = model([feature], [binaryTask("cvr", label("buy"), label("click"))]);
  const check = (values: Record<string, number>) => checkTrainingLabels(plain, { cvr: { column: "buy", positives: null, values, other: 0 } }, "t.csv");
  assert.deepEqual(check({ "0": 40 }), ["task 'cvr': label column 'buy' is 0 on all 40 training rows (where click is 1), so the task can learn nothing; check the column and the where mask"]);
  assert.deepEqual(check({}), ["task 'cvr' has no training row: where click is 1 on none of the rows, so the task can learn nothing; check the column 'click'"]);
  assert.deepEqual(check({ "0": 40, "1": 1 }), []);
  const allPositive = checkTrainingLabels(adult, counted(adult, rowsOf({ ">50K": 4 })), "t.csv");
  assert.deepEqual(allPositive, [`task 'income': every training row has a positive value (">50K") of label column 'income': ">50K" (4 rows), so the task can learn nothing; check the column and the values after 'is'`]);
});

test("evaluation: unseen values with no positive left are an error proposing the positive spellings", () => {
  const trained = counted(adult, rowsOf({ ">50K": 7841, "<=50K": 24720 }));
  const error = dataError(() => checkEvaluationLabels(adult, trained, counted(adult, rowsOf({ ">50K.": 3846, "<=50K.": 12435 })), "adult.test"));
  assert.equal(
    error.message,
    `task 'income': label column 'income' has values training never saw: "<=50K." (12,435 rows), ">50K." (3,846 rows); training saw "<=50K" (24,720 rows), ">50K" (7,841 rows), and only ">50K" means 1, so every row would count as a negative`,
  );
  assert.equal(error.hint, 'if the file spells the classes differently, train with every spelling of the positive class (`label income is ">50K" | ">50K."`), or rewrite the values in adult.test');
});

test("evaluation: unseen negatives beside positives, and one class alone, are notes", () => {
  const both = model([feature], [binaryTask("income", label("income", ">50K", ">50K."))]);
  const trained = counted(both, rowsOf({ ">50K": 5, "<=50K": 20 }));
  const notes = checkEvaluationLabels(both, trained, counted(both, rowsOf({ ">50K.": 3, "<=50K.": 12 })), "adult.test");
  assert.deepEqual(notes, { income: 'values training never saw count as negatives: "<=50K." (12 rows)' });
  const negativesOnly = checkEvaluationLabels(both, trained, counted(both, rowsOf({ "<=50K": 12 })), "slice.csv");
  assert.deepEqual(negativesOnly, { income: "no positive label among its 12 rows, so its AUC is undefined and its other metrics describe one class only" });
  // A model folder from before label values were recorded: only the one-class note is possible.
  assert.deepEqual(checkEvaluationLabels(adult, undefined, counted(adult, rowsOf({ ">50K": 3 })), "x.csv"), {
    income: "no negative label among its 3 rows, so its AUC is undefined and its other metrics describe one class only",
  });
  assert.deepEqual(checkEvaluationLabels(both, trained, counted(both, rowsOf({ ">50K": 1, "<=50K": 2 })), "ok.csv"), {});
});

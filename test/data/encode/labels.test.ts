import { test } from "node:test";
import assert from "node:assert/strict";
import { createEncoder, fitEncoding } from "../../../src/data/encode/index.js";
import type { ValidIR } from "../../../src/ir/types.js";
import type { RawValue } from "../../../src/data/record.js";
import { binaryTask, catchDataError, hashFeature, label, model, records, regressionTask } from "./fixtures.js";

async function encode(ir: ValidIR, rows: Record<string, RawValue>[]) {
  const data = records(rows);
  return createEncoder(ir, await fitEncoding(ir, data, "train.csv")).encodeBatch(data, "train.csv");
}

const feature = hashFeature("f", 10);

test("census style: a declared positive value is compared as text", async () => {
  const ir = model([feature], [binaryTask("income", label("income", "50000+."))]);
  const batch = await encode(ir, [{ income: "- 50000." }, { income: "50000+." }, { income: "50000+" }]);
  assert.ok(batch.labels.income instanceof Float32Array);
  assert.deepEqual([...batch.labels.income!], [0, 1, 0]);
});

test("a positive value matches numbers by their text", async () => {
  const ir = model([feature], [binaryTask("buy", label("buy", "2"))]);
  const batch = await encode(ir, [{ buy: 2 }, { buy: "2" }, { buy: 1 }]);
  assert.deepEqual([...batch.labels.buy!], [1, 1, 0]);
});

test("without a positive value, 0/1 and true/false in any case and type", async () => {
  const ir = model([feature], [binaryTask("click", label("click"))]);
  const values: RawValue[] = [0, 1, "0", "1", true, false, "true", "FALSE", "True", "false"];
  const batch = await encode(ir, values.map((click) => ({ click })));
  assert.deepEqual([...batch.labels.click!], [0, 1, 0, 1, 1, 0, 1, 0, 1, 0]);
});

test("any other binary label is an error that suggests declaring the positive value", () => {
  const ir = model([feature], [binaryTask("ctr", label("click"))]);
  for (const click of ["yes", "2", 2, "1.0", " 1"]) {
    const error = catchDataError(() =>
      createEncoder(ir, { version: 1, rows: 0, features: {} }).encodeBatch(records([{ click }]), "train.csv"),
    );
    assert.equal(error.message, `label column 'click' must be 0/1 or true/false, got '${click}'`);
    assert.equal(error.hint, `name the values that mean 1: \`label click is ${JSON.stringify(String(click))}\` (several: \`is "A" | "B"\`)`);
    assert.equal(error.field, "click");
  }
  // A spelling of 0 is never offered as the value meaning 1 (that would invert every label): its 1 is.
  for (const [click, hint] of [["0.0", '`label click is "1.0"`'], [" 0", '`label click is " 1"`'], ["-0", '`label click is "..."`']] as const) {
    const error = catchDataError(() =>
      createEncoder(ir, { version: 1, rows: 0, features: {} }).encodeBatch(records([{ click }]), "train.csv"),
    );
    assert.ok(error.hint?.includes(hint), `${click}: ${error.hint}`);
    assert.ok(!error.hint?.includes(`is ${JSON.stringify(click)}`), `${click}: ${error.hint}`);
  }
});

test("regression labels are finite numbers", async () => {
  const ir = model([feature], [regressionTask("watch", "seconds")]);
  const batch = await encode(ir, [{ seconds: "3.25" }, { seconds: 7 }, { seconds: "-1e2" }]);
  assert.deepEqual([...batch.labels.watch!], [3.25, 7, -100]);
  const error = catchDataError(() =>
    createEncoder(ir, { version: 1, rows: 0, features: {} }).encodeBatch(records([{ seconds: true }]), "t.csv"),
  );
  assert.match(error.message, /label column 'seconds': true is not a number/);
});

test("ESMM: where masks, missing labels allowed only under a zero mask, no array for a latent task", async () => {
  const ir = model(
    [feature],
    [
      binaryTask("ctr", label("click")),
      binaryTask("cvr", null),
      binaryTask("conversion", label("buy"), label("click")),
      binaryTask("ctcvr", label("click_and_buy")),
    ],
  );
  ir.tasks[3]!.head = { op: "product", factors: ["ctr", "cvr"] };
  const batch = await encode(ir, [
    { click: "1", buy: "1", click_and_buy: "1" },
    { click: "0", buy: null, click_and_buy: "0" },
    { click: "1", buy: "0", click_and_buy: "0" },
    { click: "0", buy: "0", click_and_buy: "0" },
  ]);
  assert.deepEqual(Object.keys(batch.labels), ["ctr", "conversion", "ctcvr"]);
  assert.equal(batch.labels.cvr, undefined);
  assert.deepEqual(Object.keys(batch.masks), ["conversion"]);
  assert.deepEqual([...batch.masks.conversion!], [1, 0, 1, 0]);
  assert.deepEqual([...batch.labels.conversion!], [1, 0, 0, 0]);
  assert.deepEqual([...batch.labels.ctr!], [1, 0, 1, 0]);
});

test("a where column decodes with the positive value of the label it names", async () => {
  const ir = model([feature], [binaryTask("after", label("y"), label("stage", "clicked"))]);
  const batch = await encode(ir, [
    { stage: "clicked", y: "1" },
    { stage: "shown", y: null },
  ]);
  assert.deepEqual([...batch.masks.after!], [1, 0]);
  assert.deepEqual([...batch.labels.after!], [1, 0]);
});

test("a missing label under a mask of 1, or a missing where column, is an error", () => {
  const ir = model([feature], [binaryTask("conversion", label("buy"), label("click"))]);
  const encoder = createEncoder(ir, { version: 1, rows: 0, features: {} });
  const missingLabel = catchDataError(() => encoder.encodeBatch(records([{ click: 1, buy: null }]), "t.csv"));
  assert.match(missingLabel.message, /task 'conversion': label column 'buy' is missing/);
  assert.match(missingLabel.hint!, /only on rows where 'click' is 0/);
  const missingWhere = catchDataError(() => encoder.encodeBatch(records([{ buy: 1 }]), "t.csv"));
  assert.match(missingWhere.message, /where column 'click' is missing/);
});

test("prediction needs no label columns", async () => {
  const ir = model([feature], [binaryTask("conversion", label("buy"), label("click"))]);
  const encoder = createEncoder(ir, { version: 1, rows: 0, features: {} });
  const batch = encoder.encodeFeaturesOnly(records([{ f: "a" }, { f: "b" }]), "serve.jsonl");
  assert.equal(batch.size, 2);
  assert.deepEqual(Object.keys(batch), ["size", "features"]);
  assert.deepEqual(Object.keys(batch.features), ["f"]);
});

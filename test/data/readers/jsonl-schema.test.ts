import { test } from "node:test";
import assert from "node:assert/strict";
import type { FeatureIR, TaskIR } from "../../../src/ir/types.js";
import type { RawRecord } from "../../../src/data/record.js";
import { createRecordValidator, jsonlRecordSchema } from "../../../src/data/readers/jsonl-schema.js";
import { csvOptions, fixture, jsonlOptions, lines, readAll, tempFolder } from "./helpers.js";

const dir = tempFolder("schema");

const features: FeatureIR[] = [
  { kind: "categorical", name: "user", column: "user_id", encoding: { type: "hash", buckets: 100 }, table: "user" },
  { kind: "numeric", name: "price", column: "price", transform: "log1p", normalize: "zscore", fill: "mean" },
  { kind: "sequence", name: "hist", column: "hist_items", of: "user", table: "user", maxLen: 5, pool: "mean", sep: "|" },
];

const bce = { type: "bce" } as const;
const tasks: TaskIR[] = [
  { name: "ctr", type: "binary", head: { op: "dense", input: "t" }, label: { column: "click", positives: null }, where: null, evaluation: null, weight: 1, loss: bce },
  { name: "cvr", type: "binary", head: { op: "dense", input: "t" }, label: null, where: null, evaluation: null, weight: 1, loss: bce },
  { name: "ctcvr", type: "binary", head: { op: "product", factors: ["ctr", "cvr"] }, label: { column: "purchase", positives: null }, where: null, evaluation: null, weight: 1, loss: bce },
  { name: "gmv", type: "regression", head: { op: "dense", input: "t" }, label: { column: "amount", positives: null }, where: { column: "purchase", positives: null, task: "ctcvr" }, evaluation: null, weight: 1, loss: { type: "mse" } },
  { name: "income", type: "binary", head: { op: "dense", input: "t" }, label: { column: "income_raw", positives: ["50000+."] }, where: null, evaluation: null, weight: 1, loss: bce },
];

const validate = createRecordValidator(features, tasks);

function record(fields: Record<string, unknown>, line = 7): RawRecord {
  return { line, fields: fields as RawRecord["fields"] };
}

const good = { user_id: "u1", price: 3.5, hist_items: ["a", 2], click: 1, purchase: false, amount: 12.5, income_raw: "- 50000." };

test("the schema: draft-07, one property per column read, labels required", () => {
  const schema = jsonlRecordSchema(features, tasks) as { $schema: string; type: string; properties: Record<string, unknown>; required: string[] };
  assert.equal(schema.$schema, "http://json-schema.org/draft-07/schema#");
  assert.equal(schema.type, "object");
  assert.deepEqual(Object.keys(schema.properties).sort(), ["amount", "click", "hist_items", "income_raw", "price", "purchase", "user_id"]);
  assert.deepEqual(schema.required.sort(), ["amount", "click", "income_raw", "purchase"]);
  assert.ok("allOf" in (schema.properties["purchase"] as object) === false, "the same role twice is merged");
});

test("valid records: JSON types, CSV strings, missing features", () => {
  assert.equal(validate(record(good), "f.jsonl"), null);
  const csvLike = { user_id: "u1", price: " 3.5e2 ", hist_items: "a|b", click: "0", purchase: "1", amount: "7", income_raw: "50000+." };
  assert.equal(validate(record(csvLike), "f.csv"), null);
  const missingFeatures = { click: true, purchase: 0, amount: 0, income_raw: "x", price: null, hist_items: null };
  assert.equal(validate(record(missingFeatures), "f.jsonl"), null);
  assert.equal(validate(record({ ...good, user_id: 42 }), "f.jsonl"), null);
});

test("a wrong type names the line and the field", () => {
  const err = validate(record({ ...good, price: "abc" }, 12), "data.jsonl");
  assert.ok(err);
  assert.equal(err.file, "data.jsonl");
  assert.equal(err.line, 12);
  assert.equal(err.field, "price");
  assert.equal(err.message, `field 'price' must be a number (or a numeric string), got "abc"`);
  assert.equal(err.render().split("\n")[0], `data.jsonl:12: error: field 'price' must be a number (or a numeric string), got "abc" (field 'price')`);
});

test("each role has its own words", () => {
  const cases: Array<[Record<string, unknown>, string, RegExp]> = [
    [{ user_id: 1.5 }, "user_id", /must be a string or an integer, got 1.5/],
    [{ user_id: { a: 1 } }, "user_id", /must be a string or an integer/],
    [{ hist_items: 3 }, "hist_items", /a list of strings or integers, or one string of items separated by "\|"/],
    [{ hist_items: ["a", { b: 1 }] }, "hist_items", /item 2 must be a string or an integer, got \{"b":1\}/],
    [{ click: 2 }, "click", /must be 0 or 1 \(or true\/false, "0"\/"1"\), got 2/],
    [{ purchase: "yes" }, "purchase", /must be 0 or 1/],
    [{ amount: "lots" }, "amount", /must be a number/],
    [{ price: "0x1F" }, "price", /must be a number/],
  ];
  for (const [change, field, message] of cases) {
    const err = validate(record({ ...good, ...change }), "f.jsonl");
    assert.ok(err, JSON.stringify(change));
    assert.equal(err.field, field);
    assert.match(err.message, message);
  }
});

test("labels may not be missing or null; features may", () => {
  const { click: _unused, ...withoutClick } = good;
  const missing = validate(record(withoutClick), "f.jsonl");
  assert.equal(missing?.field, "click");
  assert.match(missing?.message ?? "", /field 'click' is missing; a label column needs a value in every record/);
  const empty = validate(record({ ...good, income_raw: null }), "f.jsonl");
  assert.equal(empty?.field, "income_raw");
  assert.match(empty?.message ?? "", /is empty/);
});

test("all problems of a record are reported: the first as the message, the rest in the hint", () => {
  const err = validate(record({ ...good, price: "abc", click: 5, amount: null }), "f.jsonl");
  assert.ok(err);
  assert.equal(err.field, "price");
  assert.match(err.hint ?? "", /^also: field 'click' must be 0 or 1.*; field 'amount' is empty/);
});

test("as a read check: violations are bad rows with their line, skippable", async () => {
  const text = [
    JSON.stringify(good),
    JSON.stringify({ ...good, price: "abc" }),
    "",
    JSON.stringify({ ...good, click: "maybe" }),
    JSON.stringify(good),
  ].join("\n");
  const file = fixture(dir, "checked.jsonl", text);
  const stopped = await readAll(file, jsonlOptions(), { check: validate });
  assert.deepEqual(lines(stopped.records), [1]);
  assert.equal(stopped.error?.line, 2);
  assert.equal(stopped.error?.field, "price");
  const skipping = await readAll(file, jsonlOptions(), { check: validate, skipBadRows: 2 });
  assert.deepEqual(lines(skipping.records), [1, 5]);
  assert.deepEqual(skipping.skipped.map((e) => [e.line, e.field]), [
    [2, "price"],
    [4, "click"],
  ]);
});

test("the same check works for CSV records", async () => {
  const file = fixture(dir, "checked.csv", "user_id,price,hist_items,click,purchase,amount,income_raw\nu1,3,a|b,1,0,2,x\nu2,abc,,1,0,2,x\n");
  const { records, error } = await readAll(file, csvOptions(), { check: validate });
  assert.deepEqual(lines(records), [2]);
  assert.equal(error?.line, 3);
  assert.equal(error?.field, "price");
});

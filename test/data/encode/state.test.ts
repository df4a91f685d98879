import { test } from "node:test";
import assert from "node:assert/strict";
import {
  createEncoder,
  EncodingStateError,
  fitEncoding,
  parseEncoding,
  serializeEncoding,
} from "../../../src/data/encode/index.js";
import { binaryTask, hashFeature, label, model, numericFeature, records } from "./fixtures.js";

const features = [
  hashFeature("site", 100),
  numericFeature("age", { fill: "mean", normalize: "zscore" }),
  numericFeature("price", { transform: "log1p", normalize: "minmax" }),
];
const ir = model(features, [binaryTask("ctr", label("click"))]);
const data = records([
  { site: "a", age: "31", price: "10", click: "1" },
  { site: "b", age: null, price: "0.5", click: "0" },
  { site: "c", age: "47.5", price: null, click: "0" },
  { site: "d", age: "19", price: "1e6", click: "1" },
]);

test("a fitted state survives JSON and encodes identically", async () => {
  const state = await fitEncoding(ir, data, "train.csv");
  assert.equal(state.version, 1);
  assert.equal(state.rows, 4);
  assert.deepEqual(Object.keys(state.features), ["age", "price"]);
  const text = serializeEncoding(state);
  const loaded = parseEncoding(text, ir);
  assert.deepEqual(loaded, state);
  assert.deepEqual(createEncoder(ir, loaded).encodeBatch(data, "x.csv"), createEncoder(ir, state).encodeBatch(data, "x.csv"));
});

test("a state fitted for a different spec is refused with the reason", async () => {
  const text = serializeEncoding(await fitEncoding(ir, data, "train.csv"));

  const renamed = model([features[0]!, numericFeature("years", { fill: "mean", normalize: "zscore" }), features[2]!]);
  assert.throws(
    () => parseEncoding(text, renamed),
    (e: unknown) =>
      e instanceof EncodingStateError &&
      /fitted for a different spec/.test(e.message) &&
      /no statistics for 'years'/.test(e.message) &&
      /statistics for 'age', which the spec does not declare as numeric/.test(e.message),
  );

  const retransformed = model([features[0]!, numericFeature("age", { fill: "mean", normalize: "zscore", transform: "sqrt" }), features[2]!]);
  assert.throws(() => parseEncoding(text, retransformed), /feature 'age' has transform 'sqrt' in the spec but 'none' in the state/);

  const recolumned = model([features[0]!, numericFeature("age", { column: "AGE", fill: "mean", normalize: "zscore" }), features[2]!]);
  assert.throws(() => parseEncoding(text, recolumned), /feature 'age' has column 'AGE' in the spec but 'age' in the state/);

  const state = await fitEncoding(ir, data, "train.csv");
  assert.throws(() => createEncoder(model([features[0]!]), state), EncodingStateError);
});

test("a damaged or foreign state file is refused", async () => {
  const state = await fitEncoding(ir, data, "train.csv");
  const edit = (change: (s: Record<string, any>) => void) => {
    const copy = JSON.parse(serializeEncoding(state));
    change(copy);
    return JSON.stringify(copy);
  };
  assert.throws(() => parseEncoding("{ not json", ir), /not valid JSON/);
  // A byte changed deep in the saved (indented) file: one line naming where, not V8's message quoting the text across lines.
  const damaged = serializeEncoding(state).replace('"version"', '"version" "');
  assert.throws(() => parseEncoding(damaged, ir), (e: Error) => /^the encoding state is not valid JSON \(line 2, column \d+: .+\)$/.test(e.message) && !e.message.includes("\n"));
  assert.throws(() => parseEncoding("[]", ir), /must be a JSON object/);
  assert.throws(() => parseEncoding(edit((s) => (s.version = 2)), ir), /has version 2; this build reads version 1/);
  // A key misspelt by damage: named as missing, not "version undefined".
  assert.throws(() => parseEncoding(edit((s) => delete s.version), ir), /: the encoding state has no version; this build reads version 1$/);
  assert.throws(() => parseEncoding(edit((s) => delete s.features.age.transform), ir), /: the encoding state's feature 'age': transform is missing$/);
  assert.throws(() => parseEncoding(edit((s) => delete s.rows), ir), /'rows' must be a non-negative integer/);
  assert.throws(() => parseEncoding(edit((s) => (s.features.age.std = null)), ir), /feature 'age': std must be a finite number/);
  assert.throws(() => parseEncoding(edit((s) => (s.features.age.std = -1)), ir), /std must not be negative/);
  assert.throws(() => parseEncoding(edit((s) => (s.features.age.fill = "median")), ir), /unknown fill "median"/);
  assert.throws(() => parseEncoding(edit((s) => (s.features.age.missing = 7)), ir), /counts 10 rows, not 4/);
  assert.throws(() => parseEncoding(edit((s) => (s.features.price.fillValue = -2)), ir), /outside the domain of transform log1p/);
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { createEncoder, fitEncoding, type EncodingState } from "../../../src/data/encode/index.js";
import { DataError, type RawValue } from "../../../src/data/record.js";
import {
  binaryTask,
  catchDataError,
  hashFeature,
  label,
  model,
  numericFeature,
  records,
  regressionTask,
  rejectsWithDataError,
} from "./fixtures.js";

const ir = model(
  [
    hashFeature("site", 100),
    numericFeature("age", { column: "age_years" }),
    numericFeature("price", { transform: "log1p" }),
    numericFeature("dist", { transform: "sqrt" }),
  ],
  [
    // The masked task first, so that a bad click is reported as its where column; its rows weigh the `w` column.
    { ...binaryTask("conversion", label("buy"), label("click")), sampleWeight: "w" },
    binaryTask("ctr", label("click")),
    regressionTask("watch", "seconds"),
  ],
);

const good: Record<string, RawValue> = { site: "a", age_years: "30", price: "9", dist: "4", click: "1", buy: "0", seconds: "12.5", w: "2.5" };

/** Each bad row: the field it breaks, the value, and what the message must say. */
const cases: [string, RawValue, RegExp, RegExp][] = [
  ["age_years", "thirty", /feature 'age': 'thirty' is not a number/, /numeric columns take plain decimal numbers/],
  ["age_years", "NA", /feature 'age': 'NA' is not a number/, /add it to the data section's missing values/],
  ["age_years", "0x1F", /'0x1F' is not a number/, /decimal/],
  ["age_years", "1e39", /does not fit in a 32-bit float/, /rescale/],
  ["price", "-1", /feature 'price': transform log1p needs a value greater than -1, got -1/, /change the transform of 'price'/],
  ["dist", "-0.5", /feature 'dist': transform sqrt needs a value at least 0, got -0.5/, /change the transform of 'dist'/],
  ["click", "yes", /where column 'click' must be 0\/1 or true\/false, got 'yes'/, /where click is "yes"/],
  ["click", null, /where column 'click' is missing/, /0\/1 value/],
  ["buy", null, /task 'conversion': label column 'buy' is missing/, /only on rows where 'click' is 0/],
  ["buy", "maybe", /label column 'buy' must be 0\/1 or true\/false, got 'maybe'/, /label buy is "maybe"/],
  ["seconds", "long", /label column 'seconds': 'long' is not a number/, /decimal/],
  ["seconds", null, /task 'watch': label column 'seconds' is missing/, /where <column>/],
  ["seconds", "-4e38", /label column 'seconds'.*32-bit float/, /rescale/],
  ["w", "-1", /task 'conversion': sample weight column 'w' must be at least 0, got '-1'/, /write 0 to leave a row out/],
  ["w", -0.5, /sample weight column 'w' must be at least 0, got -0.5/, /leave a row out/],
  ["w", "NaN", /sample weight column 'w': 'NaN' is not a number/, /missing values/],
  ["w", "heavy", /sample weight column 'w': 'heavy' is not a number/, /decimal/],
  ["w", "1e39", /sample weight column 'w'.*32-bit float/, /rescale/],
  ["w", null, /task 'conversion': sample weight column 'w' is missing/, /only on rows where 'click' is 0/],
];

function badRows(): { rows: Record<string, RawValue>[]; expect: (typeof cases)[number][] } {
  const rows = [good];
  for (const [field, value] of cases) rows.push({ ...good, [field]: value });
  return { rows, expect: cases };
}

function assertNames(error: DataError, file: string, line: number, field: string, message: RegExp, hint: RegExp) {
  assert.equal(error.file, file);
  assert.equal(error.line, line);
  assert.equal(error.field, field);
  assert.match(error.message, message);
  assert.match(error.hint ?? "", hint);
  const rendered = error.render();
  assert.ok(rendered.startsWith(`${file}:${line}: error: `), rendered);
  assert.ok(rendered.includes(`(field '${field}')`), rendered);
  assert.ok(rendered.includes("\n  hint: "), rendered);
}

test("every bad value is a DataError naming file, line and field, with a hint", async () => {
  const state: EncodingState = await fitEncoding(ir, records([good]), "train.csv");
  const encoder = createEncoder(ir, state);
  cases.forEach(([field, value, message, hint]) => {
    const row = records([{ ...good, [field]: value }])[0]!;
    row.line = 41;
    const error = catchDataError(() => encoder.encodeBatch([row], "data/train.csv"));
    assertNames(error, "data/train.csv", 41, field, message, hint);
  });
});

test("fitting stops at the first bad row with the same error", async () => {
  for (const [field, value, message, hint] of cases) {
    const data = records([good, good, { ...good, [field]: value }]);
    const error = await rejectsWithDataError(fitEncoding(ir, data, "train.csv"));
    assertNames(error, "train.csv", 4, field, message, hint);
  }
});

test("skipping bad rows: each is reported, the rest encode as if alone", async () => {
  const { rows, expect } = badRows();
  const mixed = rows.flatMap((row, i) => [row, { ...good, site: `s${i}`, age_years: String(i) }]);
  const data = records(mixed);
  const reported: DataError[] = [];
  const state = await fitEncoding(ir, data, "train.csv", { onBadRow: (e) => reported.push(e) });
  assert.equal(reported.length, expect.length);
  assert.equal(state.rows, mixed.length - expect.length);
  assert.equal(state.features.age!.present, state.rows);

  const errors: DataError[] = [];
  const batch = createEncoder(ir, state).encodeBatch(data, "train.csv", { onBadRow: (e) => errors.push(e) });
  assert.equal(errors.length, expect.length);
  assert.deepEqual(errors.map((e) => e.line), reported.map((e) => e.line));
  assert.equal(batch.size, state.rows);
  for (const array of [...Object.values(batch.features), ...Object.values(batch.labels), ...Object.values(batch.masks)]) {
    assert.equal(array.length, batch.size);
  }
  // Row 0 of `rows` is good; after it every other row is a bad one.
  const goodOnly = records(mixed.filter((_, i) => i < 2 || i % 2 === 1));
  const clean = createEncoder(ir, state).encodeBatch(goodOnly, "train.csv");
  assert.deepEqual(batch, clean);
});

test("without onBadRow the first bad row throws and nothing is returned", async () => {
  const encoder = createEncoder(ir, await fitEncoding(ir, records([good]), "train.csv"));
  assert.throws(() => encoder.encodeBatch(records([good, { ...good, age_years: "x" }, good]), "t.csv"), DataError);
});

test("a sample-weighted task's mask is its where value times the row's weight; the weight may be missing where 'where' is 0", async () => {
  const encoder = createEncoder(ir, await fitEncoding(ir, records([good]), "train.csv"));
  const batch = encoder.encodeBatch(
    records([good, { ...good, w: "0" }, { ...good, click: "0", w: "7" }, { ...good, click: "0", buy: null, w: null }, { ...good, w: 3 }]),
    "train.csv",
  );
  assert.deepEqual(Array.from(batch.masks.conversion!), [2.5, 0, 0, 0, 3]);
  assert.equal(batch.masks.ctr, undefined, "an unweighted task without 'where' has no mask");
});

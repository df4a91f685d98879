/**
 * `mtl predict` on rows with missing values, missing feature columns and
 * categories never seen in training, through the compiled CLI, in CSV, JSONL
 * and Parquet. docs/language.md and src/data/encode/README.md give the rules:
 *
 *   numeric, fill: mean   a missing value is the training mean of the raw values
 *   numeric, fill: zero   a missing value is 0
 *   categorical, vocab    an unknown or missing value is row 0 (out of vocabulary)
 *   categorical, buckets  a missing value is the bucket of "", any other value hashes to a bucket
 *   sequence              a missing field is an empty sequence (all padding)
 *
 * Each rule is checked by scoring a row with the value missing beside the
 * same row with the value the rule says it becomes: the scores must be equal
 * (bit for bit, as both go through the same float32 model). A file without a
 * feature column is scored as if every row had the value missing, with one
 * warning per column; a file with none of the model's columns is refused.
 * The output always has one row per input row, in order.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { tempDir, type CliResult } from "../helpers/cli.js";
import { cliFrom } from "../helpers/paths.js";
import { assertDataError, assertOk, linesOf, parsePredictionCsv, runCliAsync } from "../helpers/train-cli.js";
import { edited, fileBytes, tableFromCsv, tableText, type Row, type Table, type Value } from "./data-files.js";

const cli = cliFrom(import.meta.url);
const { dir } = tempDir("predict-missing");
const mtl = (args: readonly string[]): Promise<CliResult> => runCliAsync(cli, args, { cwd: dir });

const SPEC = `model missing_values "missing values and unseen categories"

feature user_id  : categorical(buckets: 1000, dim: 4)
feature category : categorical(vocab: ["c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7"], dim: 4)
feature price    : numeric(transform: log1p, normalize: zscore)
feature user_age : numeric(normalize: zscore, fill: zero)
feature history  : sequence(of: user_id, max_len: 4)

input x = concat(*)
tower t = mlp(x, [16])
task ctr : binary = t label click

train { epochs: 1  batch: 64  seed: 3 }
`;

const FEATURE_COLUMNS = ["user_id", "category", "price", "user_age", "history"];
const BASE_ROWS = 12;

/** A model trained once; `fill` is the raw value a missing price becomes (the training mean, from encoding.json). */
let setup: CliResult[] = [];
let base: Table;
let fill = NaN;

/** Adds a `history` column: the user ids of the three rows before, joined with "|" (empty for the first row). */
function withHistory(table: Table): Table {
  const rows = table.rows.map((r, i) => ({ ...r, history: table.rows.slice(Math.max(0, i - 3), i).map((p) => p["user_id"]).join("|") || null }));
  return { columns: [...table.columns, "history"], rows };
}

/**
 * The variants of each base row, in this order; `same` lists groups of
 * variants whose scores must be equal, by the missing-value rules.
 */
const VARIANTS: { name: string; set: Record<string, Value | (() => Value)> }[] = [
  { name: "as is", set: {} },
  { name: "price missing", set: { price: null } },
  { name: "price = the training mean", set: { price: () => fill } },
  { name: "user_age NA", set: { user_age: "NA" } },
  { name: "user_age 0", set: { user_age: 0 } },
  { name: "category unseen", set: { category: "zz-never-seen" } },
  { name: "category missing", set: { category: null } },
  { name: "category ?", set: { category: "?" } },
  { name: "history missing", set: { history: null } },
  { name: "history of empty items", set: { history: "|" } },
  { name: "user_id unseen", set: { user_id: "u-never-seen-123456" } },
  { name: "price, category, history missing", set: { price: null, category: null, history: null } },
  { name: "every feature missing", set: { user_id: null, category: null, price: null, user_age: null, history: null } },
];

const SAME: [string, string[]][] = [
  ["fill: mean", ["price missing", "price = the training mean"]],
  ["fill: zero", ["user_age NA", "user_age 0"]],
  ["vocab: an unseen value and a missing one are both the out-of-vocabulary row", ["category unseen", "category missing", "category ?"]],
  ["sequence: a missing field is the empty sequence", ["history missing", "history of empty items"]],
];

const variantIndex = (name: string) => VARIANTS.findIndex((v) => v.name === name);

/** Every variant of every base row, variant-major within each base row. */
function variantTable(): Table {
  const rows: Row[] = [];
  for (const row of base.rows.slice(0, BASE_ROWS)) {
    for (const v of VARIANTS) {
      const out: Row = { ...row };
      for (const [column, value] of Object.entries(v.set)) out[column] = typeof value === "function" ? value() : value;
      rows.push(out);
    }
  }
  return { columns: base.columns, rows };
}

/** JSONL of a table: a missing value is left out of the record in odd rows and written as null in even ones. */
function jsonlText(table: Table): string {
  return (
    table.rows
      .map((r, i) => JSON.stringify(Object.fromEntries(Object.entries(r).filter(([, v]) => v !== null || i % 2 === 0))))
      .join("\n") + "\n"
  );
}

/** For Parquet: the text markers become nulls, so that number columns stay DOUBLE. */
function withNulls(table: Table): Table {
  return { columns: table.columns, rows: table.rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === "NA" || v === "?" ? null : v]))) };
}

function scores(result: CliResult, what: string, rows: number): number[] {
  assertOk(result, what);
  const { header, rows: out } = parsePredictionCsv(result.stdout);
  assert.deepEqual(header, ["ctr"], `${what}: one column per task`);
  assert.equal(out.length, rows, `${what}: one output row per input row`);
  return out.map((r, i) => {
    const p = r[0];
    assert.ok(typeof p === "number" && p > 0 && p < 1, `${what}: output row ${i + 1} is not a probability: ${p}`);
    return p;
  });
}

/**
 * Equal up to float32 rounding. With a native BLAS, a row's score can differ
 * in the last bits with its position in the batch (as in PyTorch); a wrong
 * fill value or another row's score is off by far more.
 */
function assertSameScore(actual: number, expected: number, message: string): void {
  assert.ok(Math.abs(actual - expected) <= 1e-6 * Math.max(1, Math.abs(expected)), `${message}: ${actual} != ${expected}`);
}

/** Different beyond rounding. */
function differ(a: number, b: number): boolean {
  return Math.abs(a - b) > 1e-6 * Math.max(1, Math.abs(b));
}

function assertSameScores(actual: readonly number[], expected: readonly number[], message: string): void {
  assert.equal(actual.length, expected.length, `${message}: ${actual.length} scores, expected ${expected.length}`);
  actual.forEach((score, i) => assertSameScore(score, expected[i]!, `${message} (score ${i})`));
}

describe("predict with missing values, missing columns and unseen categories", { concurrency: 2 }, () => {
  before(async () => {
    writeFileSync(join(dir, "missing.mtl"), SPEC);
    setup = [await mtl(["generate", "esmm", "--rows", "800", "-o", "raw-train.csv", "--holdout", "40", "--holdout-output", "raw-valid.csv", "--seed", "12"])];
    if (setup[0]!.status !== 0) return;
    const train = withHistory(tableFromCsv(readFileSync(join(dir, "raw-train.csv"), "utf8")));
    writeFileSync(join(dir, "train.csv"), tableText("csv", train));
    base = withHistory(tableFromCsv(readFileSync(join(dir, "raw-valid.csv"), "utf8")));
    setup.push(await mtl(["train", "missing.mtl", "--data", "train.csv", "--out", "model", "--quiet"]));
    if (setup[1]!.status !== 0) return;
    const encoding = JSON.parse(readFileSync(join(dir, "model", "encoding.json"), "utf8")) as { features: Record<string, { fillValue: number; fill: string }> };
    assert.equal(encoding.features["price"]!.fill, "mean");
    fill = encoding.features["price"]!.fillValue;
  });

  function assertSetup(): void {
    for (const [i, r] of setup.entries()) assertOk(r, `setup step ${i + 1}`);
  }

  /** The CSV scores of every variant, the reference of the other formats. */
  let reference: number[] | null = null;
  async function referenceScores(): Promise<number[]> {
    if (reference) return reference;
    writeFileSync(join(dir, "variants.csv"), tableText("csv", variantTable()));
    const result = await mtl(["predict", "model", "--data", "variants.csv"]);
    assert.equal(result.stderr, "", "missing values and unseen categories are not worth a warning");
    reference = scores(result, "variants.csv", BASE_ROWS * VARIANTS.length);
    return reference;
  }

  test("CSV: each missing value is scored as the spec's rule says, unseen categories included", async () => {
    assertSetup();
    const all = await referenceScores();
    const of = (row: number, variant: string) => all[row * VARIANTS.length + variantIndex(variant)]!;
    for (let row = 0; row < BASE_ROWS; row++) {
      for (const [rule, group] of SAME) {
        for (const other of group.slice(1)) assertSameScore(of(row, other), of(row, group[0]!), `row ${row + 1}: ${rule}: '${other}' and '${group[0]}' should score the same`);
      }
    }
    // The rows differ: the model does read these features (otherwise the equalities above prove nothing).
    for (const [, group] of SAME) {
      const differs = Array.from({ length: BASE_ROWS }, (_, row) => differ(of(row, "as is"), of(row, group[0]!))).some(Boolean);
      assert.ok(differs || group[0] === "category unseen", `a missing ${group[0]} never changes a score`);
    }
    assert.ok(
      Array.from({ length: BASE_ROWS }, (_, row) => differ(of(row, "as is"), of(row, "user_id unseen"))).some(Boolean),
      "an unseen user id hashes to another bucket than the original",
    );
  });

  test("JSONL (left-out keys, nulls, missing markers) and Parquet (nulls) give the CSV's scores", async () => {
    assertSetup();
    const expected = await referenceScores();
    const table = variantTable();
    writeFileSync(join(dir, "variants.jsonl"), jsonlText(table));
    writeFileSync(join(dir, "variants.parquet"), fileBytes("parquet", withNulls(table)));
    for (const file of ["variants.jsonl", "variants.parquet"]) {
      const result = await mtl(["predict", "model", "--data", file]);
      assertSameScores(scores(result, file, expected.length), expected, `${file}: the scores should equal the CSV's`);
    }
  });

  for (const format of ["csv", "jsonl", "parquet"] as const) {
    test(`${format}: a file without three feature columns is scored as if they were missing in every row, with a warning per column`, async () => {
      assertSetup();
      const all = await referenceScores();
      const dropped = ["category", "price", "history"]; // in the order of the spec's features, which the warnings follow
      const rows = base.rows.slice(0, BASE_ROWS);
      const table = edited({ columns: base.columns, rows }, { drop: dropped });
      const file = `no-columns.${format}`;
      writeFileSync(join(dir, file), format === "jsonl" ? jsonlText(table) : fileBytes(format, table));
      const result = await mtl(["predict", "model", "--data", file]);
      const expected = rows.map((_, row) => all[row * VARIANTS.length + variantIndex("price, category, history missing")]!);
      assertSameScores(scores(result, file, BASE_ROWS), expected, `${file}: scores as for empty fields`);
      const warnings = linesOf(result.stderr);
      const is = format === "jsonl" ? "appears in no record" : "is missing";
      assert.deepEqual(
        warnings,
        dropped.map((c) => `${file}: warning: column '${c}' ${is}; feature '${c}' treats every row as a missing value`),
        `${file}: one warning per missing column`,
      );
    });
  }

  test("a file with none of the model's feature columns is refused rather than scored from fill values alone", async () => {
    assertSetup();
    const table = edited({ columns: base.columns, rows: base.rows.slice(0, BASE_ROWS) }, { drop: FEATURE_COLUMNS });
    writeFileSync(join(dir, "labels-only.csv"), tableText("csv", table));
    assertDataError(await mtl(["predict", "model", "--data", "labels-only.csv"]), "no feature columns", {
      file: "labels-only.csv",
      line: 1,
      message: /none of the columns the model reads is in the file \(it reads user_id, category, price, user_age, history; the file has: item_id, /,
      hint: /right file/,
    });
  });

  test("rows whose every feature is missing are still scored, one output row each", async () => {
    assertSetup();
    const all = await referenceScores();
    const every = Array.from({ length: BASE_ROWS }, (_, row) => all[row * VARIANTS.length + variantIndex("every feature missing")]!);
    // Every row is the same row then: one score.
    for (const score of every) assertSameScore(score, every[0]!, `rows with every feature missing should all score the same: ${every.join(", ")}`);
  });
});

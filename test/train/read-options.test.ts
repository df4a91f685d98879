import assert from "node:assert/strict";
import { test } from "node:test";
import { UsageError } from "../../src/errors.js";
import type { DataIR } from "../../src/ir/types.js";
import { overridesFor, readOptionsFor, type DataOverrides } from "../../src/train/read-options.js";

const CSV_SPEC: DataIR = { format: "csv", header: true, delimiter: ",", trim: false, missing: [], columns: null } as unknown as DataIR;

test("CSV-only flags on a JSONL or Parquet file are refused by name, not dropped", () => {
  const cases: [string, DataOverrides, RegExp][] = [
    ["rows.jsonl", { delimiter: ";" }, /^--delimiter only applies to CSV files, but rows\.jsonl is read as jsonl: leave it out/],
    ["rows.parquet", { header: false, columns: ["a", "b"] }, /^--no-header, --columns only apply to CSV files, but rows\.parquet is read as parquet: leave them out/],
    ["rows.csv", { format: "jsonl", columns: ["a"] }, /^--columns only applies to CSV files, but rows\.csv is read as jsonl/],
  ];
  for (const [file, overrides, named] of cases) {
    assert.throws(() => readOptionsFor(file, CSV_SPEC, overrides), (error: unknown) => error instanceof UsageError && named.test(error.message), file);
  }
  // On CSV files (and TSV, read as CSV) they apply as before.
  assert.deepEqual(readOptionsFor("rows.tsv", CSV_SPEC, { header: false, columns: ["a", "b"] }).columns, ["a", "b"]);
  assert.equal(readOptionsFor("rows.csv", CSV_SPEC, { delimiter: ";" }).delimiter, ";");
  assert.equal(readOptionsFor("rows.jsonl", CSV_SPEC, {}).format, "jsonl");
});

test("mtl train's --valid file takes the CSV-only flags only when it is CSV itself", () => {
  const flags: DataOverrides = { header: false, columns: ["a", "b"], delimiter: ";" };
  assert.deepEqual(overridesFor("valid.csv", CSV_SPEC, flags), flags);
  assert.deepEqual(overridesFor("valid.jsonl", CSV_SPEC, flags), {});
  assert.equal(readOptionsFor("valid.jsonl", CSV_SPEC, overridesFor("valid.jsonl", CSV_SPEC, flags)).format, "jsonl");
});

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { DataError, type RawRecord } from "../../../src/data/record.js";
import { writeParquet } from "../../../src/data/writers/index.js";
import { fixture, lines, parquetOptions, readAll, readError, tempFolder } from "./helpers.js";

const dir = tempFolder("parquet");

function row(i: number): Record<string, string | number | boolean | null> {
  return {
    user: `u${i}`,
    price: i % 5 === 0 ? null : i / 4,
    click: i % 2,
    vip: i % 3 === 0,
    city: i % 7 === 0 ? "?" : `c${i % 10}`,
    big: i * 1_000_003,
  };
}

test("Parquet round trip over several row groups: names from the schema, JSON types, row numbers as lines", async () => {
  const file = join(dir, "round.parquet");
  const n = 2_345;
  function* rows(): Generator<Record<string, string | number | boolean | null>> {
    for (let i = 0; i < n; i++) yield row(i);
  }
  await writeParquet(file, ["user", "price", "click", "vip", "city", { name: "big", type: "INT64" }], rows(), { rowGroupSize: 500 });
  const { records, error } = await readAll(file, parquetOptions({ missing: ["?"] }));
  assert.equal(error, null);
  assert.equal(records.length, n);
  assert.deepEqual(lines(records), Array.from({ length: n }, (_, i) => i + 1));
  for (const [i, r] of records.entries()) {
    const expected = { ...row(i) };
    if (expected.city === "?") expected.city = null;
    assert.deepEqual(r.fields, expected, `row ${i + 1}`);
  }
});

test("an async source, explicit FLOAT and INT32 types", async () => {
  const file = join(dir, "typed.parquet");
  async function* rows(): AsyncGenerator<Record<string, number | null>> {
    for (let i = 0; i < 10; i++) yield { f: Math.fround(i / 3), n: i === 4 ? null : i - 5 };
  }
  await writeParquet(file, [{ name: "f", type: "FLOAT" }, { name: "n", type: "INT32" }], rows());
  const { records } = await readAll(file, parquetOptions());
  assert.deepEqual(records[3]!.fields, { f: Math.fround(1), n: -2 });
  assert.equal(records[4]!.fields["n"], null);
  assert.equal(records[7]!.fields["f"], Math.fround(7 / 3));
});

test("the check and skipBadRows work on Parquet rows too", async () => {
  const file = join(dir, "check.parquet");
  await writeParquet(file, ["a"], [{ a: 1 }, { a: -1 }, { a: 2 }, { a: -2 }]);
  const check = (r: RawRecord, f: string): DataError | null => ((r.fields["a"] as number) < 0 ? new DataError(f, r.line, "negative", undefined, "a") : null);
  const { records, skipped, error } = await readAll(file, parquetOptions(), { check, skipBadRows: 1 });
  assert.deepEqual(lines(records), [1, 3]);
  assert.deepEqual(lines(skipped), [2]);
  assert.equal(error?.line, 4);
});

test("not a Parquet file, a truncated one, an empty one, a missing one", async () => {
  const csv = await readError(fixture(dir, "text.parquet", "a,b\n1,2\n"), parquetOptions());
  assert.match(csv.message, /not a Parquet file/);

  const good = join(dir, "good.parquet");
  await writeParquet(good, ["a"], [{ a: 1 }, { a: 2 }]);
  const bytes = readFileSync(good);
  const cut = join(dir, "cut.parquet");
  writeFileSync(cut, bytes.subarray(0, bytes.length - 10));
  const truncated = await readError(cut, parquetOptions());
  assert.match(truncated.message, /truncated/);

  const empty = await readError(fixture(dir, "empty.parquet", ""), parquetOptions());
  assert.match(empty.message, /empty: no data rows/);

  const missing = await readError(join(dir, "absent.parquet"), parquetOptions());
  assert.equal(missing.message, "file not found");
});

test("a damaged footer is a DataError, not a crash", async () => {
  const good = join(dir, "good2.parquet");
  await writeParquet(good, ["a", "b"], [{ a: 1, b: "x" }]);
  const bytes = Buffer.from(readFileSync(good));
  // keep both magics, scramble the footer length so the metadata cannot be parsed
  bytes.writeUInt32LE(0x7fffffff, bytes.length - 8);
  const err = await readError(fixture(dir, "badfooter.parquet", bytes), parquetOptions());
  assert.ok(err instanceof DataError);
  assert.match(err.message, /^the Parquet footer \(the file.s metadata\) is damaged/);
});

test("a damaged data page names the first row of its group; the groups before it were read", async () => {
  const good = join(dir, "pages.parquet");
  const rows = Array.from({ length: 4_000 }, (_, i) => ({ s: `text ${i} ${"y".repeat(i % 30)}`, x: i * 1.5 }));
  await writeParquet(good, ["s", "x"], rows, { rowGroupSize: 1_000 });
  const bytes = Buffer.from(readFileSync(good));
  const at = Math.floor(bytes.length / 2);
  for (let i = at; i < at + 64; i++) bytes[i] = bytes[i]! ^ 0xa5;
  const { records, error } = await readAll(fixture(dir, "pages-damaged.parquet", bytes), parquetOptions());
  assert.ok(error);
  assert.match(error.message, /^the Parquet rows \d+-\d+ cannot be decoded/);
  assert.equal(error.line, records.length + 1);
  assert.ok(records.length >= 1_000 && records.length % 1_000 === 0);
});

test("a Parquet file with no rows has no data rows", async () => {
  const file = join(dir, "norows.parquet");
  await writeParquet(file, [{ name: "a", type: "DOUBLE" }], []);
  const err = await readError(file, parquetOptions());
  assert.match(err.message, /no data rows/);
});

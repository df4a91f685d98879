/**
 * The readers on damaged input (issue #8), in process: a file cut off in the
 * middle of its last row, a delimiter that does not match the file, a
 * truncated .gz naming the line its text stops in, Parquet compressed with
 * gzip, and Parquet text that is not UTF-8. The same cases through the CLI:
 * test/robustness/bad-data.test.ts.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { constants, gunzipSync, gzipSync } from "node:zlib";
import { parquetWriteBuffer } from "hyparquet-writer";
import { csvOptions, fixture, jsonlOptions, lines, parquetOptions, readAll, readError, tempFolder } from "./helpers.js";

const dir = tempFolder("damage");

function csvText(rows: number): string {
  return ["id,name,score", ...Array.from({ length: rows }, (_, i) => `${i},name ${i},${i / 4}`)].join("\n") + "\n";
}

test("CSV cut off in the middle of its last row: named as a truncated file, at that row, and skippable", async () => {
  const text = csvText(10);
  const cut = text.slice(0, text.lastIndexOf(",", text.length - 2)); // ends inside the last row, no line break
  const err = await readError(fixture(dir, "cut.csv", cut), csvOptions());
  assert.equal(err.line, 11);
  assert.match(err.message, /^the file ends in the middle of this row: expected 3 fields, found 2$/);
  assert.match(err.hint ?? "", /truncated/);

  const skipped = await readAll(fixture(dir, "cut-skip.csv", cut), csvOptions(), { skipBadRows: 1 });
  assert.equal(skipped.error, null);
  assert.deepEqual(lines(skipped.skipped), [11]);
  assert.equal(skipped.records.length, 9);
});

test("CSV cut off far into a large file (many chunks) names the last line", async () => {
  const text = csvText(60_000);
  const cut = text.slice(0, text.lastIndexOf(",") - 2);
  const err = await readError(fixture(dir, "cut-large.csv", cut), csvOptions());
  assert.equal(err.line, 60_001);
  assert.match(err.message, /ends in the middle of this row/);
});

test("a short row is not called truncated when a line break ends the file, or when rows follow it", async () => {
  const ended = await readError(fixture(dir, "short-last.csv", "a,b,c\n1,2,3\n4,5\n"), csvOptions());
  assert.equal(ended.line, 3);
  assert.equal(ended.message, "expected 3 fields, found 2 — check the delimiter");
  const inside = await readError(fixture(dir, "short-inside.csv", "a,b,c\n4,5\n1,2,3"), csvOptions());
  assert.equal(inside.line, 2);
  assert.equal(inside.message, "expected 3 fields, found 2 — check the delimiter");
  // A complete last row without a line break is fine.
  const { records, error } = await readAll(fixture(dir, "no-final-break.csv", "a,b,c\n1,2,3\n4,5,6"), csvOptions());
  assert.equal(error, null);
  assert.deepEqual(lines(records), [2, 3]);
});

test("a file whose delimiter differs from the one in use is refused at its header, with the delimiter to set", async () => {
  const cases: [string, string, string, RegExp][] = [
    ["semicolons.csv", "a;b;c\n1;2;3\n4;5;6\n", ",", /separates its fields with ';' but the delimiter is ','/],
    ["tabs.csv", "a\tb\tc\n1\t2\t3\n", ",", /separates its fields with a tab \(\\t\) but the delimiter is ','/],
    ["commas.tsv", "a,b,c\n1,2,3\n", "\t", /separates its fields with ',' but the delimiter is a tab/],
    ["pipes.csv", "a|b\n1|2\n", ",", /separates its fields with '\|'/],
  ];
  for (const [name, text, delimiter, message] of cases) {
    const err = await readError(fixture(dir, name, text), csvOptions({ delimiter }), { skipBadRows: 100 });
    assert.equal(err.line, 1, name);
    assert.match(err.message, message, name);
    assert.match(err.hint ?? "", /--delimiter/, name);
  }
  const tab = await readError(fixture(dir, "tabs2.csv", "a\tb\n1\t2\n"), csvOptions());
  assert.match(tab.hint ?? "", /--delimiter '\\t'/);
});

test("a one-column file is still read when its header merely contains another delimiter", async () => {
  // The data rows do not split like the header: this is one column named "a;b".
  const { records, error } = await readAll(fixture(dir, "one-column.csv", "a;b\nx\ny\n"), csvOptions());
  assert.equal(error, null);
  assert.deepEqual(
    records.map((r) => r.fields["a;b"]),
    ["x", "y"],
  );
});

test("JSONL cut off in the middle of its last record: named as a truncated file, at that line", async () => {
  const text = Array.from({ length: 20 }, (_, i) => JSON.stringify({ i, s: `x${i}`, ok: true })).join("\n") + "\n";
  // Cut after the object's last value, inside a literal, inside a string.
  for (const [end, reason] of [
    [text.length - 2, "the line ends before the object is closed"],
    [text.length - 4, "expected a value"],
    [text.lastIndexOf("x19") + 2, "the string that starts here is never closed"],
  ] as const) {
    const err = await readError(fixture(dir, `cut-${end}.jsonl`, text.slice(0, end)), jsonlOptions());
    assert.equal(err.line, 20);
    assert.match(err.message, /^the file ends in the middle of this record \(invalid JSON at column \d+: /);
    assert.ok(err.message.includes(reason), err.message);
    assert.match(err.hint ?? "", /truncated/);
  }
  const cut = text.slice(0, text.length - 6);

  // The same broken record followed by a line break is an ordinary invalid line.
  const broken = await readError(fixture(dir, "broken.jsonl", cut + "\n"), jsonlOptions());
  assert.equal(broken.line, 20);
  assert.match(broken.message, /^invalid JSON at column/);
});

/** The line a truncated gzip's readable text stops in. */
function stopLine(cut: Buffer): number {
  return gunzipSync(cut, { finishFlush: constants.Z_SYNC_FLUSH }).toString("utf8").split("\n").length;
}

test("a truncated .gz names the line its readable text stops in, for CSV and JSONL", async () => {
  const csv = gzipSync(csvText(20_000));
  const jsonl = gzipSync(Array.from({ length: 20_000 }, (_, i) => JSON.stringify({ i })).join("\n") + "\n");
  for (const [name, full, options] of [
    ["cut.csv.gz", csv, csvOptions()],
    ["cut.jsonl.gz", jsonl, jsonlOptions()],
  ] as const) {
    for (const fraction of [0.25, 0.5, 0.9]) {
      const cut = full.subarray(0, Math.floor(full.length * fraction));
      const err = await readError(fixture(dir, `${fraction}-${name}`, cut), options, { skipBadRows: 10 });
      assert.equal(err.line, stopLine(cut), `${name} at ${fraction}`);
      assert.equal(err.message, `the gzip data ends early, in line ${err.line}: the file is truncated`);
    }
  }
});

test("a gzip-compressed Parquet file read as text is named as such", async () => {
  const parquet = Buffer.from(parquetWriteBuffer({ columnData: [{ name: "a", data: [1, 2, 3], type: "DOUBLE" }] }));
  for (const options of [csvOptions(), jsonlOptions()]) {
    const err = await readError(fixture(dir, `data.parquet.gz`, gzipSync(parquet)), options);
    assert.equal(err.line, null);
    assert.match(err.message, /^this is a gzip-compressed Parquet file, but it is being read as (csv|jsonl)$/);
    assert.match(err.hint ?? "", /decompress it first/);
  }
});

test("Parquet text that is not UTF-8 is a bad row naming the row and column, not silently replaced", async () => {
  const names = Array.from({ length: 10 }, (_, i) => (i === 3 || i === 6 ? `BADBYTES${i}` : `name ${i}`));
  const bytes = Buffer.from(
    parquetWriteBuffer({
      columnData: [
        { name: "name", data: names, type: "STRING" },
        { name: "x", data: names.map((_, i) => i), type: "DOUBLE" },
      ],
      codec: "UNCOMPRESSED",
      statistics: false,
    }),
  );
  for (let at = bytes.indexOf("BADBYTES"); at >= 0; at = bytes.indexOf("BADBYTES", at + 1)) bytes[at + 3] = 0xff;
  const file = fixture(dir, "latin.parquet", bytes);
  const err = await readError(file, parquetOptions());
  assert.equal(err.line, 4);
  assert.equal(err.field, "name");
  assert.match(err.message, /the text in column 'name' has bytes that are not valid UTF-8/);

  const { records, skipped, error } = await readAll(file, parquetOptions(), { skipBadRows: 2 });
  assert.equal(error, null);
  assert.deepEqual(lines(skipped), [4, 7]);
  assert.deepEqual(
    records.map((r) => r.fields["x"]),
    [0, 1, 2, 4, 5, 7, 8, 9],
  );
});

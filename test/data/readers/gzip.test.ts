import { gzipSync } from "node:zlib";
import { test } from "node:test";
import assert from "node:assert/strict";
import { csvOptions, fixture, jsonlOptions, lines, readAll, readError, tempFolder } from "./helpers.js";

const dir = tempFolder("gzip");

function csvText(rows: number): string {
  const out = ["id,value"];
  for (let i = 0; i < rows; i++) out.push(`${i},"v ${i}\nsecond line"`);
  return out.join("\n") + "\n";
}

test(".csv.gz streams through zlib with the same records and line numbers as the plain file", async () => {
  const text = csvText(30_000); // several decompressed chunks
  const plain = await readAll(fixture(dir, "data.csv", text), csvOptions());
  const gz = await readAll(fixture(dir, "data.csv.gz", gzipSync(text)), csvOptions());
  assert.equal(gz.error, null);
  assert.equal(gz.records.length, 30_000);
  assert.deepEqual(gz.records, plain.records);
  assert.equal(gz.records[29_999]!.line, 2 + 2 * 29_999);
});

test(".jsonl.gz streams; gzip is recognised by its bytes, not the name", async () => {
  const text = Array.from({ length: 1000 }, (_, i) => JSON.stringify({ i, s: `x${i}` })).join("\n");
  const named = await readAll(fixture(dir, "data.jsonl.gz", gzipSync(text)), jsonlOptions());
  const unnamed = await readAll(fixture(dir, "data-compressed.jsonl", gzipSync(text)), jsonlOptions());
  assert.equal(named.records.length, 1000);
  assert.deepEqual(unnamed.records, named.records);
  assert.deepEqual(named.records[999], { line: 1000, fields: { i: 999, s: "x999" } });
});

test("concatenated gzip members read as one stream", async () => {
  const file = fixture(dir, "members.csv.gz", Buffer.concat([gzipSync("a,b\n1,2\n"), gzipSync("3,4\n")]));
  const { records } = await readAll(file, csvOptions());
  assert.deepEqual(lines(records), [2, 3]);
});

test("a truncated gzip file is an error naming the problem, never skipped, after the rows before it", async () => {
  const full = gzipSync(csvText(5_000));
  const file = fixture(dir, "truncated.csv.gz", full.subarray(0, Math.floor(full.length * 0.6)));
  const { records, error } = await readAll(file, csvOptions(), { skipBadRows: 1_000_000 });
  assert.ok(error);
  // The error names the line the readable text stops in: after the last record handed out.
  assert.ok(error.line !== null && error.line > records.at(-1)!.line, `line ${error.line} after the last record's ${records.at(-1)!.line}`);
  assert.match(error.message, new RegExp(`gzip data ends early, in line ${error.line}: the file is truncated`));
  assert.ok(records.length > 0 && records.length < 5_000);

  const jsonl = gzipSync('{"a":1}\n{"a":2}\n'.repeat(1000));
  const jerr = await readError(fixture(dir, "truncated.jsonl.gz", jsonl.subarray(0, jsonl.length - 9)), jsonlOptions(), { skipBadRows: 5 });
  assert.match(jerr.message, /truncated/);
});

test("corrupt gzip data is an error", async () => {
  const full = Buffer.from(gzipSync(csvText(2_000)));
  for (let i = 200; i < 260; i++) full[i] = full[i]! ^ 0x5a;
  const err = await readError(fixture(dir, "corrupt.csv.gz", full), csvOptions());
  assert.match(err.message, /gzip data (is corrupt|ends early)/);
});

import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { parquetMetadataAsync, parquetSchema } from "hyparquet";
import { DataError, type ReadOptions } from "../../../src/data/record.js";
import { readRecords } from "../../../src/data/readers/index.js";
import { writeParquet } from "../../../src/data/writers/index.js";
import { characterDevice, fifo } from "../../helpers/devices.js";

const dir = mkdtempSync(join(tmpdir(), "mtl-pqwriter-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const opts: ReadOptions = { format: "parquet", header: true, delimiter: ",", trim: false, missing: [], columns: null };

async function schemaOf(file: string): Promise<Record<string, string | undefined>> {
  const bytes = readFileSync(file);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const meta = await parquetMetadataAsync(buffer);
  return Object.fromEntries(parquetSchema(meta).children.map((c) => [c.element.name, c.element.type]));
}

test("inferred types: numbers DOUBLE (even if the first group is all integers), strings, booleans, all-null", async () => {
  const file = join(dir, "inferred.parquet");
  const rows = Array.from({ length: 30 }, (_, i) => ({ n: i < 10 ? i : i + 0.5, s: `s${i}`, b: i % 2 === 0, empty: null }));
  await writeParquet(file, ["n", "s", "b", "empty"], rows, { rowGroupSize: 10 });
  assert.deepEqual(await schemaOf(file), { n: "DOUBLE", s: "BYTE_ARRAY", b: "BOOLEAN", empty: "BYTE_ARRAY" });
  const back = [];
  for await (const r of readRecords(file, opts)) back.push(r.fields);
  assert.deepEqual(back, rows);
});

test("a column mixing kinds is refused, and nothing is written", async () => {
  const folder = mkdtempSync(join(dir, "mixed-"));
  const file = join(folder, "mixed.parquet");
  await assert.rejects(
    writeParquet(file, ["a"], [{ a: 1 }, { a: "x" }]),
    (err: unknown) => err instanceof DataError && /column 'a' mixes numbers and strings/.test(err.message),
  );
  assert.deepEqual(readdirSync(folder), []);
});

test("a value that does not fit its declared type names the row; the old file is kept", async () => {
  const folder = mkdtempSync(join(dir, "typed-"));
  const file = join(folder, "typed.parquet");
  writeFileSync(file, "previous content");
  function* rows(): Generator<Record<string, number>> {
    for (let i = 0; i < 5_000; i++) yield { a: i === 4_321 ? 1.5 : i };
  }
  await assert.rejects(
    writeParquet(file, [{ name: "a", type: "INT32" }], rows(), { rowGroupSize: 1_000 }),
    (err: unknown) => err instanceof DataError && err.line === 4_322 && err.field === "a" && /INT32 but row 4322 holds 1.5/.test(err.message),
  );
  assert.equal(readFileSync(file, "utf8"), "previous content");
  assert.deepEqual(readdirSync(folder), ["typed.parquet"]);
});

test("a source that throws midway leaves no file and no temp file", async () => {
  const folder = mkdtempSync(join(dir, "throws-"));
  const file = join(folder, "partial.parquet");
  async function* rows(): AsyncGenerator<Record<string, number>> {
    for (let i = 0; i < 3_000; i++) {
      if (i === 2_500) throw new Error("generator failed");
      yield { a: i };
    }
  }
  await assert.rejects(writeParquet(file, ["a"], rows(), { rowGroupSize: 1_000 }), /generator failed/);
  assert.deepEqual(readdirSync(folder), []);
});

test("a folder that does not exist is a DataError", async () => {
  await assert.rejects(
    writeParquet(join(dir, "nope", "x.parquet"), ["a"], [{ a: 1 }]),
    (err: unknown) => err instanceof DataError && /folder does not exist/.test(err.message),
  );
});

test("Parquet over an existing file keeps its mode; to a device it is written in place; a FIFO is refused, not waited on", async () => {
  const file = join(dir, "private.parquet");
  writeFileSync(file, "old");
  chmodSync(file, 0o640);
  await writeParquet(file, ["a"], [{ a: 1 }]);
  assert.equal(statSync(file).mode & 0o777, 0o640);
  assert.equal(readFileSync(file).subarray(0, 4).toString(), "PAR1");

  const device = characterDevice(dir, "null");
  await writeParquet(device, ["a"], [{ a: 1 }]);
  assert.ok(statSync(device).isCharacterDevice(), "the device stays a device");

  const pipe = fifo(join(dir, "rows.parquet"));
  await assert.rejects(writeParquet(pipe, ["a"], [{ a: 1 }]), (e: unknown) => e instanceof DataError && /cannot be written to a FIFO/.test(e.message));
  assert.ok(statSync(pipe).isFIFO());
});

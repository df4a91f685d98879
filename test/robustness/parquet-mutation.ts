/**
 * The Parquet-mutation property, shared by the CI test
 * (file-mutation.property.test.ts) and the long fuzz run (bench/fuzz.ts).
 *
 * Property: whatever happens to the bytes of a valid Parquet file, reading
 * it either gives rows of the same shape or a DataError naming the file, in
 * one line without decoder or JavaScript internals; never another exception.
 * (Hangs are caught by the watchdog the cases run under: mutation-worker.ts.)
 * A value can change silently when a byte inside it changes: Parquet pages
 * carry no checksum unless the writer adds one, so only the shape is checked.
 *
 * Seeds: the issue #14 file (`mtl generate esmm`, 500 rows), an mmoe file,
 * and one with several row groups, nulls, 64-bit integers and booleans.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { DataError, type RawRecord, type ReadOptions } from "../../src/data/record.js";
import { readRecords } from "../../src/data/readers/index.js";
import { generateEsmm, esmmColumns } from "../../src/data/synthetic/esmm.js";
import { generateMmoe, mmoeColumns } from "../../src/data/synthetic/mmoe.js";
import { writeGenerated } from "../../src/data/synthetic/write.js";
import { writeParquet } from "../../src/data/writers/index.js";
import { byteMutationArb, INTERNALS, mutateBytes, type ByteMutation } from "./byte-mutation.js";

/** Indexes into parquetSeeds(): the issue #14 file, and the small one with three row groups. */
export const ESMM_SEED = 0;
export const MIXED_SEED = 2;

export interface ParquetSeed {
  name: string;
  bytes: Uint8Array;
  rows: number;
  columns: string[];
}

const OPTIONS: ReadOptions = { format: "parquet", header: true, delimiter: ",", trim: false, missing: [], columns: null };

/** Writes the seed files into `dir` (unless a run before wrote them) and reads them back (each must read cleanly). */
export async function parquetSeeds(dir: string): Promise<ParquetSeed[]> {
  const esmm = join(dir, "esmm.parquet");
  const mmoe = join(dir, "mmoe.parquet");
  const mixed = join(dir, "mixed.parquet");
  if (!existsSync(mixed)) {
    await writeGenerated(generateEsmm({ rows: 500, seed: 1 }), esmmColumns(), esmm, 500);
    await writeGenerated(generateMmoe({ rows: 120, correlation: 0.5, inputDim: 3, seed: 2 }), mmoeColumns(3), mmoe, 120);
    const rows = Array.from({ length: 90 }, (_, i) => ({ s: i % 7 === 0 ? null : `s${i % 11}`, n: i * 1_000_003, b: i % 3 === 0, x: i % 5 === 0 ? null : i / 8 }));
    await writeParquet(mixed, ["s", { name: "n", type: "INT64" }, "b", "x"], rows, { rowGroupSize: 30 });
  }
  const seeds: ParquetSeed[] = [];
  for (const file of [esmm, mmoe, mixed]) {
    const read = await readParquetFile(file);
    if (!("records" in read)) throw new Error(`seed ${file} does not read: ${read.error.message}`);
    seeds.push({ name: file.slice(dir.length + 1), bytes: readFileSync(file), rows: read.records.length, columns: Object.keys(read.records[0]!.fields) });
  }
  return seeds;
}

async function readParquetFile(file: string): Promise<{ records: RawRecord[] } | { error: DataError }> {
  const records: RawRecord[] = [];
  try {
    for await (const r of readRecords(file, OPTIONS)) records.push(r);
    return { records };
  } catch (err) {
    if (err instanceof DataError) return { error: err };
    throw err;
  }
}

export interface ParquetStats {
  read: number;
  refused: number;
}

export type ParquetCase = [seedIndex: number, mutations: ByteMutation[]];

export function parquetCaseArb(seeds: number): fc.Arbitrary<ParquetCase> {
  return fc.tuple(fc.integer({ min: 0, max: seeds - 1 }), fc.array(byteMutationArb, { minLength: 1, maxLength: 4 }));
}

/** Asserts the property for the file `bytes` (a mutant of `seed`), written to `file`. */
export async function checkParquetBytes(seed: ParquetSeed, bytes: Uint8Array, file: string, stats: ParquetStats): Promise<void> {
  writeFileSync(file, bytes);
  let outcome: Awaited<ReturnType<typeof readParquetFile>>;
  try {
    outcome = await readParquetFile(file);
  } catch (err) {
    assert.fail(`not a DataError but ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
  }
  if ("records" in outcome) {
    stats.read++;
    assert.equal(outcome.records.length, seed.rows, "read without an error, but a different number of rows");
    for (const r of outcome.records) assert.deepEqual(Object.keys(r.fields), seed.columns, `row ${r.line} has other columns`);
    return;
  }
  stats.refused++;
  const { error } = outcome;
  assert.equal(error.file, file, "the error names another file");
  assert.doesNotMatch(error.render().split("\n")[0]!, INTERNALS, "the error leaks internals");
  assert.doesNotMatch(error.message, /\n/, "the error is not one line");
}

/** `announce` is told each case before it runs (the watchdog's heartbeat). */
export function parquetProperty(seeds: ParquetSeed[], file: string, stats: ParquetStats, announce: (c: ParquetCase) => void): fc.IAsyncProperty<[ParquetCase]> {
  return fc.asyncProperty(parquetCaseArb(seeds.length), async (c) => {
    announce(c);
    const [s, mutations] = c;
    const seed = seeds[s]!;
    await checkParquetBytes(seed, mutateBytes(seed.bytes, mutations), file, stats);
  });
}

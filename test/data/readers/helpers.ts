import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";
import { DataError, type RawRecord, type ReadOptions } from "../../../src/data/record.js";
import { readRecords, type ReadLimits } from "../../../src/data/readers/index.js";

/** A fresh folder under the OS temp dir, removed when the test file ends. */
export function tempFolder(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `mtl-${prefix}-`));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes a fixture and returns its path. */
export function fixture(dir: string, name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

export function csvOptions(over: Partial<ReadOptions> = {}): ReadOptions {
  return { format: "csv", header: true, delimiter: ",", trim: false, missing: [""], columns: null, ...over };
}

export function jsonlOptions(over: Partial<ReadOptions> = {}): ReadOptions {
  return { format: "jsonl", header: true, delimiter: ",", trim: false, missing: [], columns: null, ...over };
}

export function parquetOptions(over: Partial<ReadOptions> = {}): ReadOptions {
  return { format: "parquet", header: true, delimiter: ",", trim: false, missing: [], columns: null, ...over };
}

export interface ReadResult {
  records: RawRecord[];
  skipped: DataError[];
  error: DataError | null;
}

/** Reads a whole (small) file, keeping what came before an error; any non-DataError is a bug and is rethrown. */
export async function readAll(file: string, opts: ReadOptions, limits: ReadLimits = {}): Promise<ReadResult> {
  const records: RawRecord[] = [];
  const skipped: DataError[] = [];
  try {
    for await (const r of readRecords(file, opts, { ...limits, onSkip: (e) => skipped.push(e) })) records.push(r);
    return { records, skipped, error: null };
  } catch (err) {
    if (!(err instanceof DataError)) throw err;
    return { records, skipped, error: err };
  }
}

/** The DataError a read must end with. */
export async function readError(file: string, opts: ReadOptions, limits: ReadLimits = {}): Promise<DataError> {
  const { error } = await readAll(file, opts, limits);
  if (!error) throw new Error(`expected a DataError reading ${file}`);
  return error;
}

/** The lines of records or of skipped-row errors. */
export function lines(items: ReadonlyArray<{ line: number | null }>): Array<number | null> {
  return items.map((r) => r.line);
}

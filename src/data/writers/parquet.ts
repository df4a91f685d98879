import { statSync } from "node:fs";
import { fileWriter, parquetWriteRows } from "hyparquet-writer";
import { DataError, type RawValue } from "../record.js";
import { resolveOutput, type OutputTarget } from "../../util/output-path.js";
import { commitTemp, createTemp, discardTemp, outputError, syncFile, tempPathFor } from "./temp-file.js";

export type ParquetColumnType = "STRING" | "DOUBLE" | "FLOAT" | "INT32" | "INT64" | "BOOLEAN";

/** A column, with its Parquet type; without one, the type is inferred from the first row group. */
export interface ParquetColumn {
  name: string;
  type?: ParquetColumnType;
}

export interface WriteParquetOptions {
  /** Rows per row group; readers hold one group in memory at a time. Default 100 000. */
  rowGroupSize?: number;
}

type Row = Record<string, RawValue | undefined>;

/**
 * Writes rows to a Parquet file atomically (temp file beside it, fsync,
 * rename), streaming one row group at a time, so `rows` may be a generator
 * of any length. Every column is nullable.
 *
 * Inferred types: numbers become DOUBLE (exact for every integer up to 2^53,
 * and safe when a later group has fractions), strings STRING, booleans
 * BOOLEAN, a column with only nulls STRING. A column mixing kinds is an
 * error; declare its type. Declared INT64 columns take integer numbers (or
 * bigints) and read back as numbers.
 */
export async function writeParquet(
  file: string,
  columns: ReadonlyArray<string | ParquetColumn>,
  rows: Iterable<Row> | AsyncIterable<Row>,
  options: WriteParquetOptions = {},
): Promise<void> {
  const specs = columns.map((c) => (typeof c === "string" ? { name: c } : c));
  if (specs.length === 0) throw new Error("writeParquet needs at least one column");
  if (new Set(specs.map((s) => s.name)).size !== specs.length) throw new Error("writeParquet: duplicate column names");
  const groupSize = options.rowGroupSize ?? 100_000;
  if (!(groupSize >= 1)) throw new Error("writeParquet: rowGroupSize must be at least 1");

  const source = toAsync(rows)[Symbol.asyncIterator]();
  const first: Row[] = [];
  while (first.length < groupSize) {
    const next = await source.next();
    if (next.done) break;
    first.push(next.value);
  }
  const types = specs.map((s) => s.type ?? inferType(file, s.name, first));

  let out: OutputTarget;
  try {
    out = resolveOutput(file);
  } catch (err) {
    throw outputError(file, err);
  }
  // The writer reopens its file for every megabyte: fine for /dev/null, but a FIFO's reader would see an early end.
  const direct = out.kind === "stream";
  if (direct && statSync(file).isFIFO()) throw new DataError(file, null, "Parquet cannot be written to a FIFO (it is written in pieces)", "write to a file, or use .csv or .jsonl");
  const temp = direct ? file : tempPathFor(out.path);
  try {
    if (!direct) await (await createTemp(temp, out.existing)).close();
    await parquetWriteRows({
      writer: fileWriter(temp),
      rows: convertedRows(file, specs, types, first, source),
      columns: specs.map((s, i) => ({ name: s.name, type: types[i]!, nullable: true })),
      rowGroupSize: groupSize,
    });
    if (!direct) await syncFile(temp);
  } catch (err) {
    if (!direct) await discardTemp(temp);
    if (err instanceof DataError) throw err;
    throw outputError(file, err);
  }
  if (!direct) await commitTemp(temp, out.path, file);
}

async function* toAsyncGen<T>(items: Iterable<T>): AsyncGenerator<T> {
  yield* items;
}

function toAsync<T>(items: Iterable<T> | AsyncIterable<T>): AsyncIterable<T> {
  return Symbol.asyncIterator in items ? items : toAsyncGen(items);
}

async function* convertedRows(
  file: string,
  specs: ParquetColumn[],
  types: ParquetColumnType[],
  first: Row[],
  rest: AsyncIterator<Row>,
): AsyncGenerator<Record<string, unknown>> {
  let rowNumber = 0;
  const convert = (row: Row): Record<string, unknown> => {
    rowNumber++;
    const out: Record<string, unknown> = {};
    for (let i = 0; i < specs.length; i++) {
      const name = specs[i]!.name;
      out[name] = toParquet(file, rowNumber, name, types[i]!, row[name]);
    }
    return out;
  };
  for (const row of first) yield convert(row);
  for (;;) {
    const next = await rest.next();
    if (next.done) return;
    yield convert(next.value);
  }
}

function inferType(file: string, column: string, rows: Row[]): ParquetColumnType {
  let kind: "number" | "string" | "boolean" | null = null;
  for (const row of rows) {
    const v = row[column];
    if (v === null || v === undefined) continue;
    const k = typeof v as "number" | "string" | "boolean";
    if (kind !== null && k !== kind) {
      throw new DataError(file, null, `column '${column}' mixes ${kind}s and ${k}s`, "declare the column's Parquet type", column);
    }
    kind = k;
  }
  return kind === "number" ? "DOUBLE" : kind === "boolean" ? "BOOLEAN" : "STRING";
}

function toParquet(file: string, row: number, column: string, type: ParquetColumnType, v: RawValue | undefined): unknown {
  if (v === null || v === undefined) return null;
  const bad = (): DataError =>
    new DataError(file, row, `column '${column}' is ${type} but row ${row} holds ${JSON.stringify(v)}`, "declare a type that fits the data", column);
  switch (type) {
    case "STRING":
      return typeof v === "string" ? v : String(v);
    case "DOUBLE":
    case "FLOAT":
      if (typeof v !== "number") throw bad();
      return v;
    case "INT32":
      if (typeof v !== "number" || !Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) throw bad();
      return v;
    case "INT64":
      if (typeof v === "bigint") return v;
      if (typeof v !== "number" || !Number.isSafeInteger(v)) throw bad();
      return BigInt(v);
    case "BOOLEAN":
      if (typeof v !== "boolean") throw bad();
      return v;
  }
}

import { DataError, type RawRecord, type ReadOptions } from "../data/record.js";
import type { ValidIR } from "../ir/types.js";

/** The columns a spec reads, each with who reads it (for the error message). */
export function neededColumns(ir: ValidIR, withLabels: boolean): { column: string; reader: string }[] {
  const needed = ir.features.map((f) => ({ column: f.column, reader: `feature '${f.name}'` }));
  if (withLabels) {
    for (const task of ir.tasks) {
      if (task.label) needed.push({ column: task.label.column, reader: `the label of task '${task.name}'` });
      if (task.where) needed.push({ column: task.where.column, reader: `the where of task '${task.name}'` });
      if (task.sampleWeight !== undefined) needed.push({ column: task.sampleWeight, reader: `the sample weight of task '${task.name}'` });
    }
  }
  return needed;
}

/**
 * Checks that a file has every column the spec reads. CSV and Parquet files
 * are checked at the first record (they have a header or schema). By default
 * a missing column is an error (training on a column of nothing but fill
 * values is a mistake); with `warn`, as for prediction, it is reported and
 * every row takes the feature's missing-value rule, unless the file has none
 * of the columns at all. JSONL records may leave out a key to mean
 * "missing", so a JSONL file is checked at its end, for a column that no
 * record had: the same error (a training run has read the whole file to fit
 * the encoding before it trains), or the same warning.
 */
export async function* requireColumns(
  records: AsyncIterable<RawRecord>,
  needed: { column: string; reader: string }[],
  file: string,
  read: ReadOptions,
  warn?: (message: string) => void,
): AsyncGenerator<RawRecord> {
  if (read.format === "jsonl") {
    let unseen = needed;
    let any = false;
    for await (const record of records) {
      any = true;
      if (unseen.length > 0) unseen = unseen.filter((n) => !Object.hasOwn(record.fields, n.column));
      yield record;
    }
    if (any && unseen.length > 0) {
      const all = needed.every((n) => unseen.includes(n));
      report(unseen, new Set(), file, null, warn && !all ? warn : undefined, "appears in no record", all && warn !== undefined);
    }
    return;
  }
  let first = true;
  for await (const record of records) {
    if (first) {
      first = false;
      checkColumns(new Set(Object.keys(record.fields)), needed, file, read, warn);
    }
    yield record;
  }
}

/** requireColumns' check of a CSV or Parquet file, given the columns its first record has (`present`). */
export function checkColumns(
  present: Set<string>,
  needed: { column: string; reader: string }[],
  file: string,
  read: ReadOptions,
  warn?: (message: string) => void,
): void {
  const absent = needed.filter((n) => !present.has(n.column));
  if (absent.length > 0) {
    const all = absent.length === needed.length;
    const line = read.format === "csv" && read.header ? 1 : null;
    report(absent, present, file, line, warn && !all ? warn : undefined, "is missing", all && warn !== undefined);
  }
}

/**
 * Warns about each absent column, or throws: for the first absent column, or
 * (`none`: a prediction from a file without any of the model's columns) for
 * all of them, since scoring every row from fill values alone would print
 * plausible-looking numbers that mean nothing.
 */
function report(
  absent: { column: string; reader: string }[],
  present: Set<string>,
  file: string,
  line: number | null,
  warn: ((message: string) => void) | undefined,
  is: string,
  none: boolean,
): void {
  const has = present.size > 0 ? `; the file has: ${listed([...present])}` : "";
  if (none) {
    throw new DataError(
      file,
      line,
      `none of the columns the model reads is in the file (it reads ${listed(absent.map((n) => n.column))}${has})`,
      "check that this is the right file for this model, and its header and delimiter",
    );
  }
  if (warn) {
    for (const n of absent) warn(`${file}: warning: column '${n.column}' ${is}; ${n.reader} treats every row as a missing value`);
    return;
  }
  const first = absent[0]!;
  throw new DataError(
    file,
    line,
    `column '${first.column}' ${is}, but ${first.reader} reads it${present.size > 0 ? ` (the file has: ${listed([...present])})` : ""}`,
    `add the column, or point ${first.reader} at another one with column: "..."`,
    first.column,
  );
}

/** Column names for a message: the first dozen. */
function listed(names: string[]): string {
  return names.slice(0, 12).join(", ") + (names.length > 12 ? ", ..." : "");
}

import { DataError, type RawRecord, type ReadOptions } from "../data/record.js";
import type { ModelIR } from "../ir/types.js";

/** The columns a spec reads, each with who reads it (for the error message). */
export function neededColumns(ir: ModelIR, withLabels: boolean): { column: string; reader: string }[] {
  const needed = ir.features.map((f) => ({ column: f.column, reader: `feature '${f.name}'` }));
  if (withLabels) {
    for (const task of ir.tasks) {
      if (task.label) needed.push({ column: task.label.column, reader: `the label of task '${task.name}'` });
      if (task.where) needed.push({ column: task.where.column, reader: `the where of task '${task.name}'` });
    }
  }
  return needed;
}

/**
 * Checks, at the first record, that a CSV or Parquet file has every column
 * the spec reads. By default a missing column is an error (training on a
 * column of nothing but fill values is a mistake); with `warn`, as for
 * prediction, it is reported and every row takes the feature's missing-value
 * rule. JSONL records may leave out a key to mean "missing", so they pass.
 */
export async function* requireColumns(
  records: AsyncIterable<RawRecord>,
  needed: { column: string; reader: string }[],
  file: string,
  read: ReadOptions,
  warn?: (message: string) => void,
): AsyncGenerator<RawRecord> {
  let first = true;
  for await (const record of records) {
    if (first && read.format !== "jsonl") {
      first = false;
      const present = new Set(Object.keys(record.fields));
      const absent = needed.find((n) => !present.has(n.column));
      if (absent && warn) {
        for (const n of needed.filter((x) => !present.has(x.column))) {
          warn(`${file}: warning: column '${n.column}' is missing; ${n.reader} treats every row as a missing value`);
        }
      } else if (absent) {
        const line = read.format === "csv" && read.header ? 1 : null;
        throw new DataError(
          file,
          line,
          `column '${absent.column}' is missing, but ${absent.reader} reads it (the file has: ${[...present].slice(0, 12).join(", ")}${present.size > 12 ? ", ..." : ""})`,
          `add the column, or point ${absent.reader} at another one with column: "..."`,
          absent.column,
        );
      }
    }
    yield record;
  }
}

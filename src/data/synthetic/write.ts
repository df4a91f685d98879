import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { createRecordWriter, writeParquet } from "../writers/index.js";
import { guessFormat } from "../readers/index.js";

type Row = Record<string, string | number>;

/**
 * Writes generated rows to `file` in the format its name says (.csv, .tsv,
 * .jsonl, .parquet); the first `holdout.rows` after the main rows go to a
 * second file, so both come from one stream (one synthetic world).
 */
export async function writeGenerated(
  rows: Iterable<Row>,
  columns: string[],
  file: string,
  count: number,
  holdout?: { file: string; rows: number },
): Promise<void> {
  const iterator = rows[Symbol.iterator]();
  const take = function* (n: number): Generator<Row> {
    for (let i = 0; i < n; i++) {
      const next = iterator.next();
      if (next.done) return;
      yield next.value;
    }
  };
  await writeOne(take(count), columns, file);
  if (holdout) await writeOne(take(holdout.rows), columns, holdout.file);
}

async function writeOne(rows: Iterable<Row>, columns: string[], file: string): Promise<void> {
  mkdirSync(dirname(file), { recursive: true });
  const format = guessFormat(file)?.format ?? "csv";
  if (format === "parquet") {
    await writeParquet(file, columns, rows);
    return;
  }
  const writer = createRecordWriter(file, format, columns);
  try {
    for (const row of rows) {
      const pending = writer.write(row);
      if (pending) await pending;
    }
    await writer.close();
  } catch (error) {
    await writer.abort();
    throw error;
  }
}

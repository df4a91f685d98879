import { DataError, type RawRecord, type ReadOptions } from "../record.js";
import { BadRowBudget, type ReadLimits } from "./bad-rows.js";
import { readCsv } from "./csv.js";
import { readJsonl } from "./jsonl.js";

export type { ReadLimits, RecordCheck } from "./bad-rows.js";
export { guessFormat, type FormatGuess } from "./format.js";

/**
 * Streams the records of one data file with flat memory, whatever its size.
 *
 * Every problem surfaces as a DataError naming the file and, where there is
 * one, the line (CSV/JSONL) or row (Parquet). Bad rows stop the read unless
 * `limits.skipBadRows` allows skipping them; file-level problems (missing
 * file, truncated gzip, a bad header) always stop it.
 *
 * The result can be iterated more than once (one pass per epoch); each pass
 * reads the file afresh with a fresh bad-row allowance.
 */
export function readRecords(file: string, opts: ReadOptions, limits?: ReadLimits): AsyncIterable<RawRecord> {
  return {
    [Symbol.asyncIterator]: () => {
      const budget = new BadRowBudget(limits);
      switch (opts.format) {
        case "csv":
          return readCsv(file, opts, budget, { numbers: limits?.numbers, columns: limits?.columns });
        case "jsonl":
          return readJsonl(file, opts, budget);
        case "parquet":
          return parquetRecords(file, opts, budget);
        default:
          return failing(new DataError(file, null, `unknown data format ${JSON.stringify(opts.format)}`, "use csv, jsonl or parquet"));
      }
    },
  };
}

/** The Parquet reader, loaded for Parquet files only: hyparquet and its codecs cost every other run about 0.1 s to load. */
async function* parquetRecords(file: string, opts: ReadOptions, budget: BadRowBudget): AsyncGenerator<RawRecord, void, undefined> {
  const { readParquet } = await import("./parquet.js");
  yield* readParquet(file, opts, budget);
}

async function* failing(err: DataError): AsyncGenerator<RawRecord, void, undefined> {
  throw err;
}

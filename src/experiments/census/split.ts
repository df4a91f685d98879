/**
 * The census train / validation / test split. The MMoE paper trains on
 * census-income.data (199,523 rows) and splits census-income.test 1:1 into
 * validation and test; the training file is not available here (see
 * data/census-income-kdd/SOURCE.md), so the 99,762 rows of the test
 * file are shuffled with a fixed seed and split 4 : 1 : 1, the paper's
 * proportions (199,523 : 49,881 : 49,881). Lines are copied verbatim into
 * temporary files, so the spec reads them exactly as it reads the original.
 *
 * `toParquet` then stores each part as Parquet, read once through the
 * product's CSV reader with the spec's data section: the trainer reads its
 * training file (2 + epochs) times, and Parquet reads about twice as fast.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { readRecords } from "../../data/readers/index.js";
import type { ReadOptions } from "../../data/record.js";
import { writeParquet } from "../../data/writers/index.js";
import { Rng } from "../../util/random.js";
import { ExperimentError } from "../spec-run.js";

export interface CensusSplit {
  train: string;
  valid: string;
  test: string;
  rows: { train: number; valid: number; test: number };
}

/** Shares of train and validation; test gets the rest. */
export const SPLIT_SHARES = { train: 4 / 6, valid: 1 / 6 } as const;

/**
 * Reads the gzipped file, keeps the first `limit` rows (all when undefined),
 * shuffles them with `seed` and writes train.csv, valid.csv, test.csv into `dir`.
 */
export function splitCensus(file: string, dir: string, seed: number, limit?: number): CensusSplit {
  const lines = readLines(file, limit);
  if (lines.length < 6) throw new ExperimentError(`${file} holds ${lines.length} rows; the census experiment needs at least 6`);
  new Rng(`census-split/${seed}`).shuffle(lines);
  const nTrain = Math.round(lines.length * SPLIT_SHARES.train);
  const nValid = Math.round(lines.length * SPLIT_SHARES.valid);
  mkdirSync(dir, { recursive: true });
  const write = (name: string, part: string[]) => {
    const path = join(dir, name);
    writeFileSync(path, part.join("\n") + "\n");
    return path;
  };
  return {
    train: write("train.csv", lines.slice(0, nTrain)),
    valid: write("valid.csv", lines.slice(nTrain, nTrain + nValid)),
    test: write("test.csv", lines.slice(nTrain + nValid)),
    rows: { train: nTrain, valid: nValid, test: lines.length - nTrain - nValid },
  };
}

/** The file is 3 MB gzipped and about 25 MB of text: read at once, it needs no stream plumbing. */
function readLines(file: string, limit: number | undefined): string[] {
  let text: string;
  try {
    text = gunzipSync(readFileSync(file)).toString("utf8");
  } catch (error) {
    throw new ExperimentError(`cannot read the census file ${file}: ${(error as Error).message}`);
  }
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== "");
  return limit === undefined ? lines : lines.slice(0, limit);
}

/** The same split as Parquet files beside the CSV ones, every column as the spec's reader gives it (text or missing). */
export async function toParquet(split: CensusSplit, read: ReadOptions): Promise<CensusSplit> {
  if (!read.columns) throw new ExperimentError("the census spec's data section must name the columns of the headerless file");
  const columns = read.columns;
  const convert = async (csv: string) => {
    const parquet = csv.replace(/\.csv$/, ".parquet");
    async function* fields() {
      for await (const record of readRecords(csv, read)) yield record.fields;
    }
    await writeParquet(parquet, columns.map((name) => ({ name, type: "STRING" as const })), fields());
    return parquet;
  };
  return { train: await convert(split.train), valid: await convert(split.valid), test: await convert(split.test), rows: split.rows };
}

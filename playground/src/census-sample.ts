/**
 * The census sample the playground trains specs/census-mmoe.mtl on: the first
 * rows of UCI's Census-Income (KDD) training file that the repository carries
 * (data/census-income-kdd), read when the site is built by mtl's own reader
 * with that spec's data section (scripts/playground/census-sample.ts), so the
 * training worker receives records, not a CSV dialect to parse. An edited
 * spec's own data section (another `missing`, say) does not apply to it.
 */
import type { RawRecord, RawValue } from "../../src/data/record.js";

/** Where the site serves it (fetched by the training worker only when a spec reads census columns). */
export const CENSUS_SAMPLE_PATH = "data/census-sample.json";

export interface CensusSample {
  /** The file the rows come from, as errors name it, and the attribution the licence (CC BY 4.0) asks for. */
  file: string;
  attribution: string;
  /** The columns of census-mmoe.mtl's data section: what a spec may read from the sample. */
  columns: string[];
  /** Row by row: its line in the file, then its value in each column (column names once, not per row: a third of the size). */
  rows: [number, ...RawValue[]][];
}

export function sampleRows(records: readonly RawRecord[], columns: readonly string[]): CensusSample["rows"] {
  return records.map((r) => [r.line, ...columns.map((c) => r.fields[c] ?? null)]);
}

export function sampleRecords(sample: CensusSample): RawRecord[] {
  return sample.rows.map(([line, ...values]) => ({ line, fields: Object.fromEntries(sample.columns.map((c, k) => [c, values[k] ?? null])) }));
}

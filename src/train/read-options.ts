import type { DataIR } from "../ir/types.js";
import { guessFormat } from "../data/readers/index.js";
import type { ReadOptions } from "../data/record.js";

/** Command-line overrides of the spec's data section. */
export interface DataOverrides {
  format?: ReadOptions["format"];
  delimiter?: string;
  header?: boolean;
  columns?: string[];
  trim?: boolean;
  missing?: string[];
}

/**
 * How to read `file`: the command line wins, then what the file name says
 * (`.jsonl`, `.tsv`, ...), then the spec's data section.
 */
export function readOptionsFor(file: string, data: DataIR, overrides: DataOverrides = {}): ReadOptions {
  const guess = guessFormat(file);
  const format = overrides.format ?? guess?.format ?? data.format;
  const specApplies = format === data.format;
  return {
    format,
    header: overrides.header ?? (overrides.columns ? false : specApplies ? data.header : true),
    delimiter: overrides.delimiter ?? guess?.delimiter ?? (specApplies ? data.delimiter : ","),
    trim: overrides.trim ?? (specApplies ? data.trim : false),
    missing: overrides.missing ?? (specApplies ? data.missing : ["", "?", "NA"]),
    columns: overrides.columns ?? (specApplies ? data.columns : null),
  };
}

import type { DataIR } from "../ir/types.js";
import { guessFormat } from "../data/readers/index.js";
import type { ReadOptions } from "../data/record.js";
import { UsageError } from "../errors.js";

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
  const format = formatOf(guess, data, overrides);
  if (format !== "csv") {
    // Flags that only a CSV reader reads would otherwise be dropped without a word.
    const given = [overrides.delimiter !== undefined && "--delimiter", overrides.header === false && "--no-header", overrides.columns !== undefined && "--columns"].filter(Boolean);
    if (given.length > 0) throw new UsageError(`${given.join(", ")} only ${given.length > 1 ? "apply" : "applies"} to CSV files, but ${file} is read as ${format}: leave ${given.length > 1 ? "them" : "it"} out, or give --format csv if the file is CSV`);
  }
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

/** The format a file is read as: --format, else its name's (`guess`, guessFormat's), else the spec's. */
function formatOf(guess: ReturnType<typeof guessFormat>, data: DataIR, overrides: DataOverrides): ReadOptions["format"] {
  return overrides.format ?? guess?.format ?? data.format;
}

/**
 * The overrides that apply to a second file read with the first one's flags
 * (mtl train's --valid): without the CSV-only ones when it is not CSV, so
 * that a headerless CSV training file may have a JSONL validation file.
 */
export function overridesFor(file: string, data: DataIR, overrides: DataOverrides): DataOverrides {
  if (formatOf(guessFormat(file), data, overrides) === "csv") return overrides;
  const { delimiter: _delimiter, header: _header, columns: _columns, ...rest } = overrides;
  return rest;
}

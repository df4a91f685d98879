import { Option, type Command } from "commander";
import type { DataOverrides } from "../train/read-options.js";
import { BACKEND_NAMES, type BackendName } from "../runtime/backend/names.js";
import { TRAIN_BLOCK } from "../validation/schema.js";
import { UsageError } from "../errors.js";

/** Options every data-reading command shares. */
export interface DataCliOptions {
  format?: "csv" | "jsonl" | "parquet";
  delimiter?: string;
  header?: boolean;
  columns?: string;
  skipBadRows: string;
  backend?: BackendName;
}

export function addDataOptions(command: Command): Command {
  return command
    .addOption(new Option("--format <format>", "data format (default: from the file name, else the spec's data section)").choices(["csv", "jsonl", "parquet"]))
    .option("--delimiter <char>", "CSV field delimiter (default: from the spec, or ',' / tab for .tsv)")
    .option("--no-header", "the CSV file has no header row (give --columns, or the spec's data.columns)")
    .option("--columns <names>", "comma-separated column names for a headerless CSV file")
    .option("--skip-bad-rows <n>", "skip up to N bad rows (wrong field count, bad number, bad label), counted and reported; the next one stops the run", "0")
    .addOption(new Option("--backend <name>", "TensorFlow.js backend (default: node if installed, else wasm, else cpu)").choices([...BACKEND_NAMES]));
}

export function dataOverrides(options: DataCliOptions): DataOverrides {
  const overrides: DataOverrides = {};
  if (options.format) overrides.format = options.format;
  if (options.delimiter !== undefined) {
    const d = options.delimiter === "\\t" ? "\t" : options.delimiter;
    if (d.length !== 1) throw new UsageError(`--delimiter must be one character, got '${options.delimiter}'`);
    overrides.delimiter = d;
  }
  if (options.header === false) overrides.header = false;
  if (options.columns) overrides.columns = options.columns.split(",").map((c) => c.trim());
  return overrides;
}

export function skipBadRows(options: DataCliOptions): number {
  const n = Number(options.skipBadRows);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--skip-bad-rows must be a whole number >= 0, got '${options.skipBadRows}'`);
  return n;
}

export function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`${name} must be a whole number >= 1, got '${value}'`);
  return n;
}

/**
 * A whole-number flag within [min, max], checked before any work starts and
 * refused with the range in the message: a slip like `--rows 1e20` must not
 * start filling the disk, and a digit string beyond 2^53 (which Number()
 * rounds) can never pass for a neighbouring value.
 */
export function intFlag(name: string, value: string | undefined, min: number, max: number, about = ""): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${name} must be a whole number from ${grouped(min)} to ${grouped(max)}${about}, got '${value}'`);
  }
  return n;
}

/** A flag standing for a `train { }` setting: the setting's own range from the language's schema. */
export function trainSettingFlag(name: string, value: string | undefined, setting: "seed" | "epochs" | "batch"): number | undefined {
  const type = TRAIN_BLOCK.options[setting]!.type as { t: "int"; min: number; max: number };
  return intFlag(name, value, type.min, type.max, ` (the range of the spec's train.${setting})`);
}

function grouped(n: number): string {
  return n.toLocaleString("en-US");
}

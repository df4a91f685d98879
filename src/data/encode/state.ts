import type { ValidIR, NumericFeatureIR } from "../../ir/types.js";
import type { NumericStatistics } from "../../portable/encoding.js";
import type { LabelValues } from "./label-values.js";
import { transformValue } from "./numeric.js";
import { parseJsonText } from "../readers/json-syntax.js";
import { FEATURE_CTORS } from "../../validation/schema.js";

export const ENCODING_STATE_VERSION = 1;

/**
 * What training learned about one numeric feature: the statistics encoding
 * uses (src/portable/encoding.ts, which the generated TypeScript embeds),
 * with the spec settings stored beside them so a state can be checked against
 * the spec it is used with: statistics of a log1p column are meaningless for
 * a plain one. The statistics are of the transformed values of all training
 * rows, filled ones included: those are what the network sees, and counting
 * them keeps every minmax training input inside [0, 1].
 */
export interface NumericStats extends NumericStatistics {
  kind: "numeric";
  column: string;
  transform: NumericFeatureIR["transform"];
  fill: NumericFeatureIR["fill"];
  normalize: NumericFeatureIR["normalize"];
  /** Training rows that had a value, and rows that were filled in. */
  present: number;
  missing: number;
}

/** Everything fitted on the training data that encoding needs; plain JSON. */
export interface EncodingState {
  version: typeof ENCODING_STATE_VERSION;
  /** Training rows the statistics were fitted on. */
  rows: number;
  /** By feature name; only numeric features have fitted statistics. */
  features: Record<string, NumericStats>;
  /**
   * By task name: the label values of every labelled binary task in the
   * training rows (label-values.ts). Absent from states written before mtl
   * recorded them; evaluation then cannot name values training never saw.
   */
  labels?: Record<string, LabelValues>;
}

/** A state that cannot be used with the spec at hand. */
export class EncodingStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EncodingStateError";
  }
}

export function serializeEncoding(state: EncodingState): string {
  return JSON.stringify(state, null, 2) + "\n";
}

/** Parses a saved state and checks that it was fitted for this spec. */
export function parseEncoding(text: string, ir: ValidIR): EncodingState {
  let raw: unknown;
  try {
    raw = parseJsonText(text);
  } catch (error) {
    throw new EncodingStateError(`the encoding state is ${(error as Error).message}`);
  }
  const state = checkShape(raw);
  validateEncoding(state, ir);
  return state;
}

/** Throws an EncodingStateError unless `state` fits the numeric features of `ir` exactly. */
export function validateEncoding(state: EncodingState, ir: ValidIR): void {
  const numeric = ir.features.filter((f): f is NumericFeatureIR => f.kind === "numeric");
  const expected = new Set(numeric.map((f) => f.name));
  const stored = Object.keys(state.features);
  const unknown = stored.filter((name) => !expected.has(name));
  const absent = numeric.filter((f) => !Object.hasOwn(state.features, f.name)).map((f) => f.name);
  if (unknown.length > 0 || absent.length > 0) {
    const parts = [];
    if (absent.length > 0) parts.push(`it has no statistics for ${quoteList(absent)}`);
    if (unknown.length > 0) parts.push(`it has statistics for ${quoteList(unknown)}, which the spec does not declare as numeric`);
    throw new EncodingStateError(`the encoding state was fitted for a different spec: ${parts.join("; ")}`);
  }
  for (const feature of numeric) {
    const stats = state.features[feature.name]!;
    for (const key of ["column", "transform", "fill", "normalize"] as const) {
      if (stats[key] !== feature[key]) {
        throw new EncodingStateError(
          `the encoding state was fitted for a different spec: feature '${feature.name}' has ${key} '${feature[key]}' in the spec but '${stats[key]}' in the state; fit the encoding again`,
        );
      }
    }
  }
}

function quoteList(names: string[]): string {
  return names.map((n) => `'${n}'`).join(", ");
}

function checkShape(raw: unknown): EncodingState {
  if (!isObject(raw)) throw new EncodingStateError("the encoding state must be a JSON object");
  if (raw.version !== ENCODING_STATE_VERSION) {
    throw new EncodingStateError(
      `the encoding state has ${raw.version === undefined ? "no version" : `version ${JSON.stringify(raw.version)}`}; this build reads version ${ENCODING_STATE_VERSION}`,
    );
  }
  if (!isCount(raw.rows)) throw new EncodingStateError("the encoding state's 'rows' must be a non-negative integer");
  if (!isObject(raw.features)) throw new EncodingStateError("the encoding state's 'features' must be an object");
  const features: Record<string, NumericStats> = {};
  for (const [name, value] of Object.entries(raw.features)) {
    const stats = checkStats(name, value);
    if (stats.present + stats.missing !== raw.rows) {
      throw new EncodingStateError(`the encoding state's feature '${name}' counts ${stats.present + stats.missing} rows, not ${raw.rows}`);
    }
    features[name] = stats;
  }
  const state: EncodingState = { version: ENCODING_STATE_VERSION, rows: raw.rows, features };
  if (raw.labels !== undefined) state.labels = checkLabels(raw.labels);
  return state;
}

function checkLabels(raw: unknown): Record<string, LabelValues> {
  const bad = (what: string) => new EncodingStateError(`the encoding state's 'labels' ${what}`);
  if (!isObject(raw)) throw bad("must be an object");
  const labels: Record<string, LabelValues> = {};
  for (const [task, value] of Object.entries(raw)) {
    if (!isObject(value) || typeof value.column !== "string" || !isObject(value.values) || !isCount(value.other)) throw bad(`of task '${task}' must have a column, values and other`);
    const positives = value.positives;
    if (positives !== null && !(Array.isArray(positives) && positives.every((p) => typeof p === "string"))) throw bad(`of task '${task}': positives must be null or a list of strings`);
    if (!Object.values(value.values).every(isCount)) throw bad(`of task '${task}': every value must count rows`);
    labels[task] = { column: value.column, positives: positives as string[] | null, values: value.values as Record<string, number>, other: value.other };
  }
  return labels;
}

const NUMERIC = FEATURE_CTORS.numeric.options;
const TRANSFORMS: readonly string[] = NUMERIC.transform.type.values;
const FILLS: readonly string[] = NUMERIC.fill.type.values;
const NORMALIZERS: readonly string[] = NUMERIC.normalize.type.values;

function checkStats(name: string, value: unknown): NumericStats {
  const bad = (what: string) => new EncodingStateError(`the encoding state's feature '${name}': ${what}`);
  if (!isObject(value)) throw bad("must be an object");
  if (value.kind !== "numeric") throw bad("kind must be 'numeric'");
  if (typeof value.column !== "string") throw bad("column must be a string");
  if (!TRANSFORMS.includes(value.transform as string)) throw bad(value.transform === undefined ? "transform is missing" : `unknown transform ${JSON.stringify(value.transform)}`);
  if (!FILLS.includes(value.fill as string)) throw bad(value.fill === undefined ? "fill is missing" : `unknown fill ${JSON.stringify(value.fill)}`);
  if (!NORMALIZERS.includes(value.normalize as string)) throw bad(value.normalize === undefined ? "normalize is missing" : `unknown normalize ${JSON.stringify(value.normalize)}`);
  for (const key of ["present", "missing"] as const) {
    if (!isCount(value[key])) throw bad(`${key} must be a non-negative integer`);
  }
  for (const key of ["fillValue", "mean", "std", "min", "max"] as const) {
    if (typeof value[key] !== "number" || !Number.isFinite(value[key])) throw bad(`${key} must be a finite number`);
  }
  if ((value.std as number) < 0) throw bad("std must not be negative");
  if ((value.min as number) > (value.max as number)) throw bad("min must not exceed max");
  if (Number.isNaN(transformValue(value.transform as NumericStats["transform"], value.fillValue as number))) {
    throw bad(`fillValue ${value.fillValue} is outside the domain of transform ${value.transform}`);
  }
  return {
    kind: "numeric",
    column: value.column,
    transform: value.transform as NumericStats["transform"],
    fill: value.fill as NumericStats["fill"],
    normalize: value.normalize as NumericStats["normalize"],
    present: value.present as number,
    missing: value.missing as number,
    fillValue: value.fillValue as number,
    mean: value.mean as number,
    std: value.std as number,
    min: value.min as number,
    max: value.max as number,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

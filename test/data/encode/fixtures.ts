import { IR_VERSION } from "../../../src/ir/version.js";
import type {
  CategoricalFeatureIR,
  FeatureIR,
  LabelIR,
  NodeIR,
  NumericFeatureIR,
  SequenceFeatureIR,
  TableIR,
  TaskIR,
  ValidIR,
} from "../../../src/ir/types.js";
import { withEvaluation } from "../../../src/ir/evaluation.js";
import { withNumericBlocks } from "../../../src/ir/blocks.js";
import { assertValidIr } from "../../../src/ir/validate.js";
import { DataError, type RawRecord, type RawValue } from "../../../src/data/record.js";

/** Hand-built IR pieces: no parser exists to produce them. */
export function hashFeature(name: string, buckets: number, column = name): CategoricalFeatureIR {
  return { name, column, kind: "categorical", encoding: { type: "hash", buckets }, table: `${name}_table` };
}

export function vocabFeature(name: string, vocab: string[], column = name): CategoricalFeatureIR {
  return { name, column, kind: "categorical", encoding: { type: "vocab", vocab }, table: `${name}_table` };
}

export function numericFeature(name: string, options: Partial<NumericFeatureIR> = {}): NumericFeatureIR {
  return { name, column: name, kind: "numeric", transform: "none", normalize: "none", fill: "zero", ...options };
}

export function sequenceFeature(
  name: string,
  of: CategoricalFeatureIR,
  maxLen: number,
  sep = "|",
  column = name,
): SequenceFeatureIR {
  return { name, column, kind: "sequence", of: of.name, table: of.table, maxLen, pool: "mean", sep };
}

export function binaryTask(name: string, label: LabelIR | null, where: LabelIR | null = null): TaskIR {
  return { name, type: "binary", head: { op: "dense", input: "input" }, label, where: where && { ...where, task: null }, evaluation: null, weight: 1, loss: { type: "bce" } };
}

export function regressionTask(name: string, column: string): TaskIR {
  return {
    name,
    type: "regression",
    head: { op: "dense", input: "input" },
    label: { column, positives: null },
    where: null,
    evaluation: null,
    weight: 1,
    loss: { type: "mse" },
  };
}

export function label(column: string, ...positives: string[]): LabelIR {
  return { column, positives: positives.length > 0 ? positives : null };
}

/** An unlabelled task reading no column, for models whose tests are about features: an IR has at least one task. */
const LATENT: TaskIR = { ...binaryTask("latent", null) };

/**
 * A model around `features` and `tasks`, with a table for every categorical
 * feature, through the gate as every IR a back end sees. Each task's
 * evaluation is resolved as lowering resolves it.
 */
export function model(features: FeatureIR[], tasks: TaskIR[] = [], options: { numericBlocks?: boolean } = {}): ValidIR {
  const concat: NodeIR[] = [{ op: "concat", name: "input", role: "input", inputs: features.map((f) => f.name) }];
  // With numericBlocks, the numeric features side by side form blocks as lowering forms them.
  const network = options.numericBlocks ? withNumericBlocks(features, concat, []) : { numericBlocks: [], nodes: concat };
  const tables: TableIR[] = features
    .filter((f): f is CategoricalFeatureIR => f.kind === "categorical")
    .map((f) => ({
      name: f.table,
      rows: f.encoding.type === "hash" ? f.encoding.buckets : f.encoding.vocab.length + 1,
      dim: 4,
    }));
  return assertValidIr({
    irVersion: IR_VERSION,
    model: { name: "test" },
    data: { format: "csv", header: true, delimiter: ",", trim: true, missing: ["", "?"], columns: null },
    features,
    numericBlocks: network.numericBlocks,
    tables,
    nodes: network.nodes,
    tasks: withEvaluation(tasks.length > 0 ? tasks : [LATENT]),
    train: {
      optimizer: { type: "adam", lr: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
      batch: 32,
      epochs: 1,
      weighting: "fixed",
      seed: 1,
      l2: 0,
    },
  });
}

/** Records numbered as a headed CSV file numbers them: the first data row is line 2. */
export function records(rows: Record<string, RawValue>[]): RawRecord[] {
  return rows.map((fields, i) => ({ line: i + 2, fields }));
}

/** Runs `fn` and returns the DataError it throws, failing the test otherwise. */
export function catchDataError(fn: () => unknown): DataError {
  try {
    fn();
  } catch (error) {
    if (error instanceof DataError) return error;
    throw error;
  }
  throw new Error("expected a DataError, but nothing was thrown");
}

export async function rejectsWithDataError(promise: Promise<unknown>): Promise<DataError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DataError) return error;
    throw error;
  }
  throw new Error("expected a DataError, but the promise resolved");
}

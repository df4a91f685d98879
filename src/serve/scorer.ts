/**
 * Scoring from a Node service: load a trained model folder once, then score
 * the candidates of each request in one pass, with the same encoding, fills
 * and checks as `mtl predict`.
 */
import * as tf from "#tfjs";
import { createEncoder } from "../data/encode/index.js";
import { DataError, type RawRecord, type RawValue } from "../data/record.js";
import { predictTasks } from "../runtime/graph/forward.js";
import { featureTensors } from "../train/tensors.js";
import { loadModelDir } from "../model-dir/folder.js";
import { assertFiniteScores } from "./finite-scores.js";

/** One candidate: raw field values by column name, as a CSV or JSONL row would have them. */
export type Candidate = Record<string, RawValue | undefined>;

export interface Scorer {
  /** Task names, in the spec's order. */
  readonly tasks: readonly string[];
  /**
   * Every task's score for every candidate, index i for candidate i. A bad
   * value (text in a numeric column, say) or a candidate that is not an
   * object throws a DataError whose render() names the candidate
   * (`<request>:3` is the third; `line` is 3) and the column (`field`).
   */
  score(candidates: readonly Candidate[]): Record<string, Float32Array>;
  /** Frees the model's weights. */
  dispose(): void;
}

/** Loads a model folder written by `mtl train`; the backend must already be selected (selectBackend). */
export async function loadScorer(dir: string): Promise<Scorer> {
  const { ir, encoding, model } = await loadModelDir(dir);
  const encoder = createEncoder(ir, encoding);
  const tasks = ir.tasks.map((t) => t.name);
  return {
    tasks,
    score(candidates) {
      if (!Array.isArray(candidates)) throw new DataError(REQUEST, null, `score() takes an array of candidates, got ${kindOf(candidates)}`, "pass [candidate, ...], one object per candidate");
      const records: RawRecord[] = candidates.map((fields, i) => ({ line: i + 1, fields: withNulls(fields, i + 1) }));
      const encoded = encoder.encodeFeaturesOnly(records, REQUEST);
      if (encoded.size === 0) return Object.fromEntries(tasks.map((t) => [t, new Float32Array(0)]));
      const inputs = featureTensors(ir, encoded);
      const outputs = predictTasks(model, inputs);
      let scores: Record<string, Float32Array>;
      try {
        scores = Object.fromEntries(tasks.map((t) => [t, outputs[t]!.dataSync().slice() as Float32Array]));
      } finally {
        tf.dispose([...Object.values(inputs), ...Object.values(outputs)]);
      }
      assertFiniteScores(scores, records.map((r) => r.line), REQUEST);
      return scores;
    },
    dispose() {
      model.dispose();
    },
  };
}

/** What errors name as the file: the request, `<request>:3` being its third candidate. */
const REQUEST = "<request>";

/** `undefined` (a key left out) is a missing value, like null. Anything but a plain object is refused: its keys are no columns. */
function withNulls(fields: Candidate, line: number): Record<string, RawValue> {
  if (typeof fields !== "object" || fields === null || Array.isArray(fields)) {
    throw new DataError(REQUEST, line, `a candidate must be an object of column values, got ${kindOf(fields)}`, "pass { column: value, ... } for each candidate");
  }
  const out: Record<string, RawValue> = {};
  for (const [key, value] of Object.entries(fields)) out[key] = value === undefined ? null : value;
  return out;
}

function kindOf(value: unknown): string {
  return value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
}

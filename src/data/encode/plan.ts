import type { FeatureIR, NumericFeatureIR, ValidIR } from "../../ir/types.js";
import type { RawValue } from "../record.js";
import { createCategoricalCodec, type CategoricalCodec } from "./categorical.js";
import { binaryDecoder, labelDecoder, type LabelDecoder } from "./label.js";
import { sampleWeightDecoder, type WeightDecoder } from "./sample-weight.js";
import { SequenceCodec } from "./sequence.js";
import { graphInputs } from "../../ir/blocks.js";

/** How one input of the graph (a feature, or a numeric block) is laid out in an encoded batch. */
export interface FeatureLayout {
  name: string;
  kind: FeatureIR["kind"] | "numericBlock";
  dtype: "int32" | "float32";
  /** Values per row: maxLen for a sequence, the number of features for a numeric block, 1 otherwise. */
  length: number;
}

/** Where a numeric feature's value goes: column `offset` of `array` (one per numeric input), `stride` values a row. */
export interface NumericSlot {
  feature: NumericFeatureIR;
  array: number;
  stride: number;
  offset: number;
}

export interface CategoricalSlot {
  name: string;
  column: string;
  codec: CategoricalCodec;
}

export interface SequenceSlot {
  name: string;
  column: string;
  codec: SequenceCodec;
}

export interface TaskSlot {
  name: string;
  label: { column: string; decode: LabelDecoder } | null;
  where: { column: string; decode: LabelDecoder } | null;
  /** The task's `sample_weight` column; the row's mask is then its weight (0 outside `where`). */
  weight: { column: string; decode: WeightDecoder } | null;
}

/** The IR resolved once into the codecs the row loops run, grouped by kind so each loop stays monomorphic. */
export interface EncodingPlan {
  layout: FeatureLayout[];
  categorical: CategoricalSlot[];
  sequence: SequenceSlot[];
  numeric: NumericSlot[];
  /** The numeric arrays by input name, indexed like NumericSlot.array, with their values per row. */
  numericArrays: { name: string; length: number }[];
  tasks: TaskSlot[];
}

/** The IR passed the gate (src/ir/validate.ts): names are unique, tables match their features, and a sequence is `of` a categorical feature. */
export function planEncoding(ir: ValidIR): EncodingPlan {

  const codecs = new Map<string, CategoricalCodec>();
  const plan: EncodingPlan = { layout: [], categorical: [], sequence: [], numeric: [], numericArrays: [], tasks: [] };
  for (const f of ir.features) {
    switch (f.kind) {
      case "categorical": {
        const codec = createCategoricalCodec(f);
        codecs.set(f.name, codec);
        plan.categorical.push({ name: f.name, column: f.column, codec });
        break;
      }
      case "numeric":
      case "sequence":
        break;
    }
  }
  // Sequences after categoricals so that `of` can name a feature declared later.
  for (const f of ir.features) {
    if (f.kind !== "sequence") continue;
    const codec = new SequenceCodec(f, codecs.get(f.of)!);
    plan.sequence.push({ name: f.name, column: f.column, codec });
  }
  // A numeric block is one array whose row holds its features side by side.
  plan.layout = graphInputs(ir).map((input): FeatureLayout => {
    if (input.kind === "numericBlock") {
      const array = plan.numericArrays.push({ name: input.name, length: input.features.length }) - 1;
      input.features.forEach((feature, offset) => plan.numeric.push({ feature: feature as NumericFeatureIR, array, stride: input.features.length, offset }));
      return { name: input.name, kind: "numericBlock", dtype: "float32", length: input.features.length };
    }
    const f = input.feature;
    if (f.kind === "numeric") plan.numeric.push({ feature: f, array: plan.numericArrays.push({ name: f.name, length: 1 }) - 1, stride: 1, offset: 0 });
    return { name: f.name, kind: f.kind, dtype: f.kind === "numeric" ? "float32" : "int32", length: f.kind === "sequence" ? f.maxLen : 1 };
  });
  // Read in declaration order, as without blocks: a row's first bad field is the one reported.
  const order = new Map(ir.features.map((f, i) => [f.name, i]));
  plan.numeric.sort((a, b) => order.get(a.feature.name)! - order.get(b.feature.name)!);

  for (const task of ir.tasks) {
    plan.tasks.push({
      name: task.name,
      label: task.label && { column: task.label.column, decode: labelDecoder(task, task.label) },
      where: task.where && { column: task.where.column, decode: binaryDecoder(task.where, "where") },
      weight: task.sampleWeight === undefined ? null : { column: task.sampleWeight, decode: sampleWeightDecoder(task, task.sampleWeight) },
    });
  }
  return plan;
}

/**
 * The columns `ir` reads only as numbers: those of numeric features and
 * regression labels that nothing else (a categorical or sequence feature, a
 * binary label, a where) reads as text. A reader may hand these out as
 * numbers (ReadLimits.numbers); every reader of them parses text with
 * parseNumber, which gives the same number and the same errors either way.
 */
export function numberColumns(ir: ValidIR): Set<string> {
  const numbers = new Set<string>();
  const text = new Set<string>();
  for (const f of ir.features) (f.kind === "numeric" ? numbers : text).add(f.column);
  for (const task of ir.tasks) {
    if (task.label) (task.type === "binary" ? text : numbers).add(task.label.column);
    if (task.where) text.add(task.where.column);
  }
  for (const column of text) numbers.delete(column);
  return numbers;
}

/**
 * Copies fields `columns` of a record into `out`, in that order. The loads
 * are compiled with the names as constants, so each has its own inline cache
 * and stays monomorphic over a file's records; a loop over the names would
 * make one load site see every name, which V8 turns into a slow generic
 * lookup (a tenth of the encoding time of a 100-column row).
 */
export function fieldCopier(columns: readonly string[]): (fields: Record<string, RawValue>, out: (RawValue | undefined)[]) => void {
  const loads = columns.map((column, i) => `o[${i}] = f[${JSON.stringify(column)}];`);
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the source is built from JSON-quoted names only
  return new Function("f", "o", loads.join("\n")) as (fields: Record<string, RawValue>, out: (RawValue | undefined)[]) => void;
}

import type { FeatureIR, NumericFeatureIR, ValidIR } from "../../ir/types.js";
import { createCategoricalCodec, type CategoricalCodec } from "./categorical.js";
import { binaryDecoder, labelDecoder, type LabelDecoder } from "./label.js";
import { SequenceCodec } from "./sequence.js";

/** How one feature is laid out in an encoded batch. */
export interface FeatureLayout {
  name: string;
  kind: FeatureIR["kind"];
  dtype: "int32" | "float32";
  /** Values per row: maxLen for a sequence, 1 otherwise. */
  length: number;
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
}

/** The IR resolved once into the codecs the row loops run, grouped by kind so each loop stays monomorphic. */
export interface EncodingPlan {
  layout: FeatureLayout[];
  categorical: CategoricalSlot[];
  sequence: SequenceSlot[];
  numeric: NumericFeatureIR[];
  tasks: TaskSlot[];
}

/** The IR passed the gate (src/ir/validate.ts): names are unique, tables match their features, and a sequence is `of` a categorical feature. */
export function planEncoding(ir: ValidIR): EncodingPlan {

  const codecs = new Map<string, CategoricalCodec>();
  const plan: EncodingPlan = { layout: [], categorical: [], sequence: [], numeric: [], tasks: [] };
  for (const f of ir.features) {
    switch (f.kind) {
      case "categorical": {
        const codec = createCategoricalCodec(f);
        codecs.set(f.name, codec);
        plan.categorical.push({ name: f.name, column: f.column, codec });
        break;
      }
      case "numeric":
        plan.numeric.push(f);
        break;
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
  plan.layout = ir.features.map((f) => ({
    name: f.name,
    kind: f.kind,
    dtype: f.kind === "numeric" ? "float32" : "int32",
    length: f.kind === "sequence" ? f.maxLen : 1,
  }));

  for (const task of ir.tasks) {
    plan.tasks.push({
      name: task.name,
      label: task.label && { column: task.label.column, decode: labelDecoder(task, task.label) },
      where: task.where && { column: task.where.column, decode: binaryDecoder(task.where, "where") },
    });
  }
  return plan;
}

import type {
  CategoricalFeatureIR,
  FeatureIR,
  ModelIR,
  NumericFeatureIR,
  SequenceFeatureIR,
  TableIR,
} from "../../ir/types.js";
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

/** An IR that breaks the encoder's contract with the graph builder: a compiler bug, not a data problem. */
export class EncodingSpecError extends Error {
  constructor(message: string) {
    super(`cannot encode this model: ${message}`);
    this.name = "EncodingSpecError";
  }
}

const MAX_ROWS = 0x7fffffff;

export function planEncoding(ir: ModelIR): EncodingPlan {
  const tables = new Map<string, TableIR>(ir.tables.map((t) => [t.name, t]));
  const byName = new Map<string, FeatureIR>();
  for (const f of ir.features) {
    if (byName.has(f.name)) throw new EncodingSpecError(`two features are named '${f.name}'`);
    byName.set(f.name, f);
  }

  const codecs = new Map<string, CategoricalCodec>();
  const plan: EncodingPlan = { layout: [], categorical: [], sequence: [], numeric: [], tasks: [] };
  for (const f of ir.features) {
    switch (f.kind) {
      case "categorical": {
        const codec = categoricalCodec(f, tables);
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
    const codec = new SequenceCodec(f, itemCodec(f, byName, codecs));
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

function categoricalCodec(f: CategoricalFeatureIR, tables: Map<string, TableIR>): CategoricalCodec {
  const table = tables.get(f.table);
  if (!table) throw new EncodingSpecError(`feature '${f.name}' uses table '${f.table}', which is not declared`);
  let rows: number;
  if (f.encoding.type === "hash") {
    rows = f.encoding.buckets;
    if (!Number.isInteger(rows) || rows < 1 || rows > MAX_ROWS) {
      throw new EncodingSpecError(`feature '${f.name}' has ${rows} hash buckets; use an integer from 1 to ${MAX_ROWS}`);
    }
  } else {
    if (!Array.isArray(f.encoding.vocab) || f.encoding.vocab.some((v) => typeof v !== "string")) {
      throw new EncodingSpecError(`feature '${f.name}' has a vocabulary that is not a list of strings`);
    }
    rows = f.encoding.vocab.length + 1;
  }
  if (table.rows !== rows) {
    throw new EncodingSpecError(
      `feature '${f.name}' produces ids in [0, ${rows}) but its table '${table.name}' has ${table.rows} rows`,
    );
  }
  return createCategoricalCodec(f);
}

function itemCodec(
  f: SequenceFeatureIR,
  byName: Map<string, FeatureIR>,
  codecs: Map<string, CategoricalCodec>,
): CategoricalCodec {
  const of = byName.get(f.of);
  if (!of || of.kind !== "categorical") {
    throw new EncodingSpecError(`sequence '${f.name}' is of '${f.of}', which is not a categorical feature`);
  }
  if (f.table !== of.table) {
    throw new EncodingSpecError(`sequence '${f.name}' uses table '${f.table}' but its items share '${of.name}''s table '${of.table}'`);
  }
  if (!Number.isInteger(f.maxLen) || f.maxLen < 1) {
    throw new EncodingSpecError(`sequence '${f.name}' has maxLen ${f.maxLen}; it must be a positive integer`);
  }
  if (typeof f.sep !== "string" || f.sep === "") {
    throw new EncodingSpecError(`sequence '${f.name}' has an empty separator`);
  }
  return codecs.get(of.name)!;
}

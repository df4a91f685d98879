import type { ValidIR } from "../../ir/types.js";
import type { DataError, RawRecord, RawValue } from "../record.js";
import { NumericCodec } from "./numeric.js";
import { fieldCopier, planEncoding, type FeatureLayout } from "./plan.js";
import { encodeTaskRow, toDataError, type BadRowOptions } from "./rows.js";
import { validateEncoding, type EncodingState } from "./state.js";

/**
 * Encoded inputs of a batch, one array per graph input (src/ir/blocks.ts
 * graphInputs): categorical ids and sequences as int32 ([size] and
 * [size*maxLen], row-major), numerics as float32 [size], a numeric block as
 * float32 [size*n], row-major.
 */
export interface EncodedFeatures {
  /** Rows encoded: the records given, less any bad rows skipped. */
  size: number;
  /** By feature name, or by block name for the features of a numeric block. */
  features: Record<string, Int32Array | Float32Array>;
}

export interface EncodedBatch extends EncodedFeatures {
  /** By task name, for every task with a label: [size]. */
  labels: Record<string, Float32Array>;
  /**
   * By task name, for every task with `where` or a sample weight: the row's
   * weight in the loss and metrics, 0 outside `where`, else the sample
   * weight (1 without one).
   */
  masks: Record<string, Float32Array>;
}

export interface Encoder {
  /** The arrays every batch holds, in feature declaration order. */
  readonly layout: readonly FeatureLayout[];
  /** Features, labels and masks, for training and evaluation. */
  encodeBatch(records: readonly RawRecord[], file: string, options?: BadRowOptions): EncodedBatch;
  /** Features only, for prediction: label and where columns are never read and may be absent. */
  encodeFeaturesOnly(records: readonly RawRecord[], file: string, options?: BadRowOptions): EncodedFeatures;
}

/** The arrays one call writes, indexed like the plan's slots. */
interface Outputs {
  categorical: Int32Array[];
  numeric: Float32Array[];
  sequence: Int32Array[];
  labels: (Float32Array | undefined)[];
  masks: (Float32Array | undefined)[];
}

/**
 * An encoder for `ir` using the statistics in `state` (from fitEncoding or
 * parseEncoding). Each call allocates fresh output arrays, because the
 * tensors built from them may keep referring to them; nothing is allocated
 * per row except what slicing a sequence item or an error needs.
 */
export function createEncoder(ir: ValidIR, state: EncodingState): Encoder {
  validateEncoding(state, ir);
  const plan = planEncoding(ir);
  const categorical = plan.categorical;
  const sequence = plan.sequence;
  const numeric = plan.numeric.map((slot) => new NumericCodec(slot.feature, state.features[slot.feature.name]!));
  const numericArray = Int32Array.from(plan.numeric, (slot) => slot.array);
  const numericStride = Int32Array.from(plan.numeric, (slot) => slot.stride);
  const numericOffset = Int32Array.from(plan.numeric, (slot) => slot.offset);
  const tasks = plan.tasks;
  // A row's feature fields, categorical, then numeric, then sequence columns.
  const copy = fieldCopier([...categorical.map((s) => s.column), ...numeric.map((c) => c.column), ...sequence.map((s) => s.column)]);
  const values: (RawValue | undefined)[] = [];
  const numericAt = categorical.length;
  const sequenceAt = numericAt + numeric.length;

  function allocate(n: number, withLabels: boolean): Outputs {
    return {
      categorical: categorical.map(() => new Int32Array(n)),
      numeric: plan.numericArrays.map((a) => new Float32Array(n * a.length)),
      sequence: sequence.map((s) => new Int32Array(n * s.codec.maxLen)),
      labels: tasks.map((t) => (withLabels && t.label !== null ? new Float32Array(n) : undefined)),
      masks: tasks.map((t) => (withLabels && (t.where !== null || t.weight !== null) ? new Float32Array(n) : undefined)),
    };
  }

  /**
   * The hot loop, kept apart from allocation and assembly so that V8
   * optimises it once and keeps it: code after the loop that has never run
   * would otherwise throw the optimised loop away at the end of every batch.
   * Returns the number of rows written.
   */
  function encodeRows(
    records: readonly RawRecord[],
    file: string,
    out: Outputs,
    withLabels: boolean,
    onBadRow: ((error: DataError) => void) | undefined,
  ): number {
    let row = 0;
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!;
      const fields = record.fields;
      copy(fields, values);
      try {
        for (let c = 0; c < categorical.length; c++) {
          out.categorical[c]![row] = categorical[c]!.codec.encode(values[c]);
        }
        for (let c = 0; c < numeric.length; c++) {
          numeric[c]!.encodeInto(values[numericAt + c], out.numeric[numericArray[c]!]!, row * numericStride[c]! + numericOffset[c]!);
        }
        for (let c = 0; c < sequence.length; c++) {
          const slot = sequence[c]!;
          slot.codec.encodeInto(values[sequenceAt + c], out.sequence[c]!, row * slot.codec.maxLen);
        }
        if (withLabels) {
          for (let t = 0; t < tasks.length; t++) encodeTaskRow(tasks[t]!, fields, out.labels[t], out.masks[t], row);
        }
      } catch (error) {
        const dataError = toDataError(error, file, record);
        if (!onBadRow) throw dataError;
        onBadRow(dataError);
        // The next row overwrites whatever this one half-wrote.
        continue;
      }
      row++;
    }
    return row;
  }

  function encode(records: readonly RawRecord[], file: string, options: BadRowOptions | undefined, withLabels: boolean): EncodedBatch {
    const n = records.length;
    const out = allocate(n, withLabels);
    const size = encodeRows(records, file, out, withLabels, options?.onBadRow);
    // Only after skipped rows are the arrays too long; copies keep every array standalone.
    const trim = <A extends Int32Array | Float32Array>(a: A, perRow: number): A =>
      size === n ? a : (a.slice(0, size * perRow) as A);
    const byName = new Map<string, Int32Array | Float32Array>();
    categorical.forEach((s, c) => byName.set(s.name, out.categorical[c]!));
    plan.numericArrays.forEach((a, c) => byName.set(a.name, out.numeric[c]!));
    sequence.forEach((s, c) => byName.set(s.name, out.sequence[c]!));
    const features: Record<string, Int32Array | Float32Array> = {};
    for (const { name, length } of plan.layout) features[name] = trim(byName.get(name)!, length);
    const labels: Record<string, Float32Array> = {};
    const masks: Record<string, Float32Array> = {};
    tasks.forEach((t, k) => {
      const label = out.labels[k];
      const mask = out.masks[k];
      if (label) labels[t.name] = trim(label, 1);
      if (mask) masks[t.name] = trim(mask, 1);
    });
    return { size, features, labels, masks };
  }

  return {
    layout: plan.layout,
    encodeBatch(records, file, options) {
      return encode(records, file, options, true);
    },
    encodeFeaturesOnly(records, file, options) {
      const { size, features } = encode(records, file, options, false);
      return { size, features };
    },
  };
}

/** Task names that get a label array, and those that get a mask, for callers sizing their tensors. */
export function batchTargets(ir: ValidIR): { labels: string[]; masks: string[] } {
  return {
    labels: ir.tasks.filter((t) => t.label !== null).map((t) => t.name),
    masks: ir.tasks.filter((t) => t.where !== null || t.sampleWeight !== undefined).map((t) => t.name),
  };
}

import type { ValidIR } from "../../ir/types.js";
import { HASH_SEED } from "../../portable/hash.js";
import type { RawValue } from "../record.js";
import { fieldsMaker } from "../readers/fields.js";
import { HashCodec } from "./categorical.js";
import { FieldError } from "./field-error.js";
import { NumericCodec } from "./numeric.js";
import { numberColumns, planEncoding } from "./plan.js";
import { encodeTaskRow } from "./rows.js";
import { validateEncoding, type EncodingState } from "./state.js";

/**
 * A block of rows held column by column (the CSV reader's CsvColumns): each
 * field is read where it lies, and only made into a string when it must be.
 */
export interface ColumnSource {
  /** The source's index of column `name`. */
  column(name: string): number;
  /** The field as the record readers hand it out: `asNumber` for a number column (numberColumns). */
  value(row: number, column: number, asNumber: boolean): RawValue;
  /** The field's number, when value(asNumber: true) is that number; NaN otherwise (value then decides). */
  number(row: number, column: number): number;
  /** MurmurHash3 (int32) of the field's text, when it is present (not a missing marker) and its bytes are its text; NaN otherwise. */
  hash(row: number, column: number, seed: number): number;
}

/** Where a row's values go among its 4-byte slots (src/train/encoded-rows.ts's row format). */
export interface SlotLayout {
  slots: number;
  /** Slot of each graph input (feature or numeric block) by name. */
  features: ReadonlyMap<string, number>;
  labels: ReadonlyMap<string, number>;
  masks: ReadonlyMap<string, number>;
}

export interface ColumnEncoder {
  /**
   * Encodes rows [from, to) of `source` into `out` (row-major, `slots` per
   * row, the row's slot 0 left to the caller), a column at a time, with the
   * codecs createEncoder uses, so every value is the one it would encode.
   * Returns the label columns of each row (for LabelValueCounter), or null
   * when some row is bad: `out` is then to be dropped and the block encoded
   * row by row, which reports that row exactly as before.
   */
  encode(source: ColumnSource, from: number, to: number, out: Int32Array): Record<string, RawValue>[] | null;
}

/**
 * The column-at-a-time counterpart of createEncoder's encodeBatch, for rows
 * kept in the encoded-rows store. Each feature's loop runs one codec over one
 * column, so it stays monomorphic and allocates nothing for a number or a
 * hashed id; a categorical value is hashed from the file's bytes (the hash
 * is defined over UTF-8 bytes, so the id is the one its string gives).
 */
export function createColumnEncoder(ir: ValidIR, state: EncodingState, layout: SlotLayout): ColumnEncoder {
  validateEncoding(state, ir);
  const plan = planEncoding(ir);
  const numbers = numberColumns(ir);
  const { slots } = layout;
  const slotOf = (map: ReadonlyMap<string, number>, name: string): number => {
    const slot = map.get(name);
    if (slot === undefined) throw new Error(`no slot for '${name}' in the row layout`);
    return slot;
  };
  const categorical = plan.categorical.map((s) => ({ column: s.column, codec: s.codec, slot: slotOf(layout.features, s.name), asNumber: numbers.has(s.column) }));
  const numeric = plan.numeric.map((s) => ({
    column: s.feature.column,
    codec: new NumericCodec(s.feature, state.features[s.feature.name]!),
    slot: slotOf(layout.features, plan.numericArrays[s.array]!.name) + s.offset,
    asNumber: numbers.has(s.feature.column),
  }));
  const sequence = plan.sequence.map((s) => ({ column: s.column, codec: s.codec, slot: slotOf(layout.features, s.name) }));
  const tasks = plan.tasks.map((t) => ({ task: t, label: t.label && slotOf(layout.labels, t.name), mask: t.where || t.weight ? slotOf(layout.masks, t.name) : null }));
  const taskColumns = [...new Set(plan.tasks.flatMap((t) => [t.label?.column, t.where?.column, t.weight?.column].filter((c): c is string => c !== undefined)))];
  const makeFields = fieldsMaker(taskColumns);
  const values: RawValue[] = taskColumns.map(() => null);

  return {
    encode(source, from, to, out) {
      const floats = new Float32Array(out.buffer, out.byteOffset, out.length);
      try {
        for (const { column, codec, slot, asNumber } of categorical) {
          const k = source.column(column);
          if (codec instanceof HashCodec) {
            for (let r = from, at = slot; r < to; r++, at += slots) {
              const h = source.hash(r, k, HASH_SEED);
              out[at] = h === h ? codec.bucket(h) : codec.encode(source.value(r, k, asNumber));
            }
          } else {
            for (let r = from, at = slot; r < to; r++, at += slots) out[at] = codec.encode(source.value(r, k, asNumber));
          }
        }
        for (const { column, codec, slot, asNumber } of numeric) {
          const k = source.column(column);
          for (let r = from, at = slot; r < to; r++, at += slots) {
            const x = asNumber ? source.number(r, k) : NaN;
            codec.encodeInto(x === x ? x : source.value(r, k, asNumber), floats, at);
          }
        }
        for (const { column, codec, slot } of sequence) {
          const k = source.column(column);
          for (let r = from, at = slot; r < to; r++, at += slots) codec.encodeInto(source.value(r, k, false), out, at);
        }
        const rows: Record<string, RawValue>[] = [];
        if (taskColumns.length === 0) return rows;
        const ks = taskColumns.map((c) => source.column(c));
        const asNumber = taskColumns.map((c) => numbers.has(c));
        const labels = tasks.map((t) => (t.label === null ? undefined : floats.subarray(t.label)));
        const masks = tasks.map((t) => (t.mask === null ? undefined : floats.subarray(t.mask)));
        for (let r = from, at = 0; r < to; r++, at += slots) {
          for (let c = 0; c < taskColumns.length; c++) values[c] = source.value(r, ks[c]!, asNumber[c]!);
          const fields = makeFields(values);
          for (let t = 0; t < tasks.length; t++) encodeTaskRow(tasks[t]!.task, fields, labels[t], masks[t], at);
          rows.push(fields);
        }
        return rows;
      } catch (error) {
        if (error instanceof FieldError) return null;
        throw error;
      }
    },
  };
}

import type { ValidIR } from "../../ir/types.js";
import type { RawRecord, RawValue } from "../record.js";
import { LabelValueCounter } from "./label-values.js";
import { NumericReader } from "./numeric.js";
import { NumericAccumulator } from "./numeric-stats.js";
import { fieldCopier, planEncoding } from "./plan.js";
import { encodeTaskRow, toDataError, type BadRowOptions } from "./rows.js";
import { ENCODING_STATE_VERSION, type EncodingState, type NumericStats } from "./state.js";

/**
 * One streaming pass over the training data: counts the rows, fits the
 * statistics of every numeric feature and counts the values of every binary
 * label (label-values.ts). Rows are checked as the encoder will
 * check them (numbers, transform domains, labels, where columns), so a bad
 * training file fails here, before any training, and a row skipped through
 * `onBadRow` contributes nothing to the statistics.
 */
export async function fitEncoding(
  ir: ValidIR,
  records: AsyncIterable<RawRecord> | Iterable<RawRecord>,
  file: string,
  options?: BadRowOptions,
): Promise<EncodingState> {
  const plan = planEncoding(ir);
  const numericFeatures = plan.numeric.map((slot) => slot.feature);
  const numeric = numericFeatures.map((f) => new NumericReader(f));
  const accumulators = numericFeatures.map((f) => new NumericAccumulator(f));
  // A row's values are held here until the whole row has proved good.
  const raw = new Float64Array(numeric.length);
  const transformed = new Float64Array(numeric.length);
  const present = new Uint8Array(numeric.length);
  const labelScratch = new Float32Array(1);
  const maskScratch = new Float32Array(1);
  const labels = new LabelValueCounter(ir);
  const copy = fieldCopier(numeric.map((r) => r.column));
  const values: (RawValue | undefined)[] = [];
  const onBadRow = options?.onBadRow;
  let rows = 0;

  const take = (record: RawRecord): void => {
    const fields = record.fields;
    copy(fields, values);
    try {
      for (let c = 0; c < numeric.length; c++) {
        const reader = numeric[c]!;
        const x = reader.read(values[c]);
        if (x === null) {
          present[c] = 0;
        } else {
          present[c] = 1;
          raw[c] = x;
          transformed[c] = reader.transformed(x);
        }
      }
      for (const task of plan.tasks) encodeTaskRow(task, fields, labelScratch, maskScratch, 0);
    } catch (error) {
      const dataError = toDataError(error, file, record);
      if (!onBadRow) throw dataError;
      onBadRow(dataError);
      return;
    }
    for (let c = 0; c < numeric.length; c++) {
      if (present[c]) accumulators[c]!.add(raw[c]!, transformed[c]!);
      else accumulators[c]!.addMissing();
    }
    labels.add(fields);
    rows++;
  };

  // `for await` over a plain array would cost a microtask per row.
  if (Symbol.asyncIterator in records) {
    for await (const record of records as AsyncIterable<RawRecord>) take(record);
  } else {
    for (const record of records as Iterable<RawRecord>) take(record);
  }

  const features: Record<string, NumericStats> = {};
  numericFeatures.forEach((f, c) => (features[f.name] = accumulators[c]!.finish()));
  return { version: ENCODING_STATE_VERSION, rows, features, labels: labels.result() };
}

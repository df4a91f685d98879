import * as tf from "#tfjs";
import type { Encoder } from "../data/encode/index.js";
import type { DataError, RawRecord } from "../data/record.js";
import type { RecordWriter } from "../data/writers/index.js";
import type { ValidIR } from "../ir/types.js";
import { predictTasks } from "../runtime/graph/index.js";
import { batches } from "../train/batches.js";
import { assertFiniteScores } from "./finite-scores.js";
import { featureTensors } from "../train/tensors.js";

/** A row the reader skipped as bad: it still gets an (empty) output row. */
export const SKIPPED = null;

/**
 * Scores every input row, in input order, writing one column per task. Rows
 * skipped as bad (under --skip-bad-rows), by the reader (SKIPPED entries) or
 * by the encoder, still get an output row with empty values, so output row i
 * always belongs to input row i.
 */
export async function predictRecords(
  ir: ValidIR,
  model: tf.LayersModel,
  encoder: Encoder,
  records: AsyncIterable<RawRecord | typeof SKIPPED>,
  writer: RecordWriter,
  options: { batch: number; file: string; onBadRow?: (error: DataError) => void },
): Promise<number> {
  const tasks = ir.tasks.map((t) => t.name);
  let written = 0;
  for await (const rows of batches(records, options.batch)) {
    const good = rows.filter((r): r is RawRecord => r !== SKIPPED);
    const bad = new Set<RawRecord>();
    const byLine = new Map(good.map((r) => [r.line, r]));
    const onBadRow = (error: DataError) => {
      options.onBadRow?.(error);
      const row = error.line === null ? undefined : byLine.get(error.line);
      if (row) bad.add(row);
    };
    const encoded = encoder.encodeFeaturesOnly(good, options.file, options.onBadRow ? { onBadRow } : {});
    let values: Record<string, Float32Array> = {};
    if (encoded.size > 0) {
      const inputs = featureTensors(ir, encoded);
      const outputs = predictTasks(model, inputs);
      values = Object.fromEntries(Object.entries(outputs).map(([name, t]) => [name, t.dataSync() as Float32Array]));
      tf.dispose([...Object.values(inputs), ...Object.values(outputs)]);
      assertFiniteScores(values, good.filter((r) => !bad.has(r)).map((r) => r.line), options.file);
    }
    let next = 0;
    for (const row of rows) {
      const scored = row !== SKIPPED && !bad.has(row);
      const out: Record<string, number | null> = {};
      for (const task of tasks) out[task] = scored ? values[task]![next]! : null;
      if (scored) next++;
      const pending = writer.write(out);
      if (pending) await pending;
      written++;
    }
  }
  return written;
}

/** Interleaves a placeholder for every row the reader skipped, at the place it was skipped. */
export async function* withSkipped(records: AsyncIterable<RawRecord>, takeSkipped: () => number): AsyncGenerator<RawRecord | typeof SKIPPED> {
  for await (const record of records) {
    for (let n = takeSkipped(); n > 0; n--) yield SKIPPED;
    yield record;
  }
  for (let n = takeSkipped(); n > 0; n--) yield SKIPPED;
}

/** All predictions for a file, by task, in row order (for reports and tests; memory grows with the file). */
export async function collectPredictions(
  ir: ValidIR,
  model: tf.LayersModel,
  encoder: Encoder,
  records: AsyncIterable<RawRecord>,
  file: string,
): Promise<Record<string, Float32Array>> {
  const parts: Record<string, Float32Array[]> = Object.fromEntries(ir.tasks.map((t) => [t.name, []]));
  for await (const rows of batches(records, 4096)) {
    const encoded = encoder.encodeFeaturesOnly(rows, file);
    const inputs = featureTensors(ir, encoded);
    const outputs = predictTasks(model, inputs);
    for (const [name, t] of Object.entries(outputs)) parts[name]!.push(t.dataSync() as Float32Array);
    tf.dispose([...Object.values(inputs), ...Object.values(outputs)]);
  }
  return Object.fromEntries(
    Object.entries(parts).map(([name, chunks]) => {
      const all = new Float32Array(chunks.reduce((n, c) => n + c.length, 0));
      let offset = 0;
      for (const chunk of chunks) {
        all.set(chunk, offset);
        offset += chunk.length;
      }
      return [name, all];
    }),
  );
}

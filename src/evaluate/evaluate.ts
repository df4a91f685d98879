import * as tf from "@tensorflow/tfjs";
import { LabelValueCounter, type Encoder, type LabelValues } from "../data/encode/index.js";
import type { DataError, RawRecord } from "../data/record.js";
import type { LabelIR, ValidIR, TaskIR } from "../ir/types.js";
import { TaskMetricAccumulator, type TaskMetrics } from "../metrics/accumulator.js";
import { predictTasks } from "../runtime/graph/index.js";
import { batches } from "../train/batches.js";
import { assertFiniteScores } from "../serve/finite-scores.js";
import { checkEvaluationLabels } from "../train/label-check.js";
import { featureTensors } from "../train/tensors.js";

/** One row of the metrics table: a task, the rows it was scored on, and its metrics. */
export interface TaskEvaluation {
  task: string;
  /** Which rows: "all rows", "click = 1", ... */
  on: string;
  metrics: TaskMetrics;
  /** Why the metrics mean less than they seem: a binary task scored on one class only. */
  note?: string;
}

/**
 * How each task is scored, as lowering decided it (the IR's `evaluation`,
 * src/ir/evaluation.ts): against the label of task `labelOf` under that
 * task's `where`, on the rows where the labels of `maskOf` are 1. ESMM's cvr
 * is scored against purchase (ctcvr's label) on clicked rows.
 */
interface Scoring {
  task: TaskIR;
  labelOf: string;
  maskOf: string[];
  whereOf: string | null;
  on: string;
}

export function scoringPlan(ir: ValidIR): Scoring[] {
  const byName = new Map(ir.tasks.map((t) => [t.name, t]));
  return ir.tasks.flatMap((task) => {
    if (task.evaluation === null) return [];
    const { label, given } = task.evaluation;
    const against = byName.get(label)!;
    const on = given.length > 0 ? given.map((f) => selects(byName.get(f)!.label!)).join(" and ") : against.where ? selects(against.where) : "all rows";
    return [{ task, labelOf: label, maskOf: given, whereOf: against.where ? label : null, on }];
  });
}

/** The rows a 0/1 column selects: "click = 1", "stage = \"clicked\"". */
function selects(column: LabelIR): string {
  return `${column.column} = ${column.positives === null ? "1" : column.positives.map((v) => JSON.stringify(v)).join(" | ")}`;
}

export interface EvaluateOptions {
  batch: number;
  file: string;
  onBadRow?: (error: DataError) => void;
  /** The label values seen in training (the model's encoding state), to refuse values it never saw. */
  trainedLabels?: Record<string, LabelValues>;
}

export async function evaluate(ir: ValidIR, model: tf.LayersModel, encoder: Encoder, records: AsyncIterable<RawRecord>, options: EvaluateOptions): Promise<TaskEvaluation[]> {
  const plan = scoringPlan(ir);
  const accumulators = plan.map((s) => new TaskMetricAccumulator(s.task.type));
  const labels = new LabelValueCounter(ir);
  const badLines = new Set<number | null>();
  const onBadRow = options.onBadRow && ((error: DataError) => (badLines.add(error.line), options.onBadRow!(error)));
  for await (const rows of batches(records, options.batch)) {
    const encoded = encoder.encodeBatch(rows, options.file, onBadRow ? { onBadRow } : {});
    const kept = badLines.size === 0 ? rows : rows.filter((row) => !badLines.has(row.line));
    for (const row of kept) labels.add(row.fields);
    badLines.clear();
    if (encoded.size === 0) continue;
    const inputs = featureTensors(ir, encoded);
    const outputs = predictTasks(model, inputs);
    const values = Object.fromEntries(Object.entries(outputs).map(([name, t]) => [name, t.dataSync() as Float32Array]));
    tf.dispose([...Object.values(inputs), ...Object.values(outputs)]);
    assertFiniteScores(values, kept.map((row) => row.line), options.file);
    plan.forEach((s, i) => {
      const mask = rowMask(encoded.size, s, encoded.labels, encoded.masks);
      accumulators[i]!.add(values[s.task.name]!, encoded.labels[s.labelOf]!, mask ?? undefined);
    });
  }
  const notes = checkEvaluationLabels(ir, options.trainedLabels, labels.result(), options.file);
  return plan.map((s, i) => {
    const note = s.labelOf === s.task.name ? notes[s.task.name] : undefined;
    return { task: s.task.name, on: s.on, metrics: accumulators[i]!.compute(), ...(note && { note }) };
  });
}

function rowMask(size: number, s: Scoring, labels: Record<string, Float32Array>, masks: Record<string, Float32Array>): Float32Array | null {
  const parts = [...s.maskOf.map((f) => labels[f]!), ...(s.whereOf ? [masks[s.whereOf]!] : [])];
  if (parts.length === 0) return null;
  const mask = new Float32Array(size).fill(1);
  for (const part of parts) for (let r = 0; r < size; r++) mask[r]! *= part[r]!;
  return mask;
}

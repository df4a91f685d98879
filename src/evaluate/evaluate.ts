import * as tf from "#tfjs";
import { LabelValueCounter, type EncodedBatch, type Encoder, type LabelValues } from "../data/encode/index.js";
import type { DataError, RawRecord } from "../data/record.js";
import type { LabelIR, ValidIR, TaskIR } from "../ir/types.js";
import { TaskMetricAccumulator, type TaskMetrics } from "../metrics/accumulator.js";
import type { CalibrationBin } from "../metrics/calibration.js";
import { predictTasks } from "../runtime/graph/index.js";
import { batches } from "../train/batches.js";
import { assertFiniteScores } from "../serve/finite-scores.js";
import { checkEvaluationLabels } from "../train/label-check.js";
import { featureTensors } from "../train/tensors.js";
import { GroupIndex } from "./groups.js";

/** One row of the metrics table: a task, the rows it was scored on, and its metrics. */
export interface TaskEvaluation {
  task: string;
  /** Which rows: "all rows", "click = 1", ... */
  on: string;
  metrics: TaskMetrics;
  /** Why the metrics mean less than they seem: a binary task scored on one class only. */
  note?: string;
  /** Binary tasks: the reliability diagram's bins (for `mtl eval --report`). */
  reliability?: CalibrationBin[];
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
  /** The task whose mask (its `where`, times its sample weight) selects and weighs the rows. */
  whereOf: string | null;
  /** Rows carry the sample weights of task `labelOf`: the metrics are weighted. */
  weighted: boolean;
  on: string;
}

export function scoringPlan(ir: ValidIR): Scoring[] {
  const byName = new Map(ir.tasks.map((t) => [t.name, t]));
  return ir.tasks.flatMap((task) => {
    if (task.evaluation === null) return [];
    const { label, given } = task.evaluation;
    const against = byName.get(label)!;
    const rows = given.length > 0 ? given.map((f) => selects(byName.get(f)!.label!)).join(" and ") : against.where ? selects(against.where) : "all rows";
    const weighted = against.sampleWeight !== undefined;
    const on = weighted ? `${rows}, weighted by ${against.sampleWeight}` : rows;
    return [{ task, labelOf: label, maskOf: given, whereOf: against.where || weighted ? label : null, weighted, on }];
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
  /** A column whose values group the rows for GAUC (e.g. user_id). */
  groupBy?: string;
}

export async function evaluate(ir: ValidIR, model: tf.LayersModel, encoder: Encoder, records: AsyncIterable<RawRecord>, options: EvaluateOptions): Promise<TaskEvaluation[]> {
  const groups = options.groupBy === undefined ? null : new GroupIndex(options.groupBy, options.file);
  const scoring = new FileScores(ir, model, options.file, groups !== null);
  const labels = new LabelValueCounter(ir);
  const badLines = new Set<number | null>();
  const onBadRow = options.onBadRow && ((error: DataError) => (badLines.add(error.line), options.onBadRow!(error)));
  for await (const rows of batches(records, options.batch)) {
    const encoded = encoder.encodeBatch(rows, options.file, onBadRow ? { onBadRow } : {});
    const kept = badLines.size === 0 ? rows : rows.filter((row) => !badLines.has(row.line));
    for (const row of kept) labels.add(row.fields);
    badLines.clear();
    scoring.add(encoded, kept.map((row) => row.line), groups?.of(kept));
  }
  return scoring.result(labels.result(), options.trainedLabels);
}

/**
 * As evaluate, on rows encoded already (the trainer's cache of a file):
 * `labelValues` are the label values those rows hold, counted as they were encoded.
 */
export function evaluateEncoded(
  ir: ValidIR,
  model: tf.LayersModel,
  encoded: Iterable<{ batch: EncodedBatch; lines: ArrayLike<number> }>,
  labelValues: Record<string, LabelValues>,
  options: { file: string; trainedLabels?: Record<string, LabelValues> },
): TaskEvaluation[] {
  const scoring = new FileScores(ir, model, options.file);
  for (const { batch, lines } of encoded) scoring.add(batch, Array.from(lines));
  return scoring.result(labelValues, options.trainedLabels);
}

/**
 * The metrics of a file accumulated batch by batch: scored here by `model`
 * (add), or from scores computed elsewhere (addScores: the trainer's running
 * metrics, from its training steps' forward passes).
 */
export class FileScores {
  private readonly plan: Scoring[];
  private readonly accumulators: TaskMetricAccumulator[];

  constructor(
    private readonly ir: ValidIR,
    private readonly model: tf.LayersModel | null,
    private readonly file: string,
    grouped = false,
  ) {
    this.plan = scoringPlan(ir);
    this.accumulators = this.plan.map((s) => new TaskMetricAccumulator(s.task.type, 1024, { grouped, weighted: s.weighted }));
  }

  add(encoded: EncodedBatch, lines: (number | null)[], groupIds?: Parameters<TaskMetricAccumulator["add"]>[3]): void {
    if (encoded.size === 0) return;
    if (this.model === null) throw new Error("FileScores without a model only takes scores (addScores)");
    const inputs = featureTensors(this.ir, encoded);
    const outputs = predictTasks(this.model, inputs);
    const values = Object.fromEntries(Object.entries(outputs).map(([name, t]) => [name, t.dataSync() as Float32Array]));
    tf.dispose([...Object.values(inputs), ...Object.values(outputs)]);
    this.addScores(values, encoded, lines, groupIds);
  }

  /** Scores of `encoded`'s rows by task name, [rows] or [rows, 1] flattened. */
  addScores(values: Record<string, Float32Array>, encoded: EncodedBatch, lines: ArrayLike<number | null>, groupIds?: Parameters<TaskMetricAccumulator["add"]>[3]): void {
    if (encoded.size === 0) return;
    assertFiniteScores(values, lines, this.file);
    this.plan.forEach((s, i) => {
      const mask = rowMask(encoded.size, s, encoded.labels, encoded.masks);
      // A weighted task's mask holds each row's weight (0 outside the rows it is scored on).
      const selection = s.weighted ? mask!.map((w) => (w > 0 ? 1 : 0)) : mask;
      this.accumulators[i]!.add(values[s.task.name]!, encoded.labels[s.labelOf]!, selection ?? undefined, groupIds, s.weighted ? mask! : undefined);
    });
  }

  result(found: Record<string, LabelValues>, trainedLabels: Record<string, LabelValues> | undefined): TaskEvaluation[] {
    const notes = checkEvaluationLabels(this.ir, trainedLabels, found, this.file);
    return this.plan.map((s, i) => {
      const note = s.labelOf === s.task.name ? notes[s.task.name] : undefined;
      const acc = this.accumulators[i]!;
      return { task: s.task.name, on: s.on, metrics: acc.compute(), ...(note && { note }), ...(acc.type === "binary" && { reliability: acc.reliability() }) };
    });
  }
}

/** The product of the 0/1 labels of `maskOf` and the mask of `whereOf`: a row's selection, or its weight for a weighted task. */
function rowMask(size: number, s: Scoring, labels: Record<string, Float32Array>, masks: Record<string, Float32Array>): Float32Array | null {
  const parts = [...s.maskOf.map((f) => labels[f]!), ...(s.whereOf ? [masks[s.whereOf]!] : [])];
  if (parts.length === 0) return null;
  const mask = new Float32Array(size).fill(1);
  for (const part of parts) for (let r = 0; r < size; r++) mask[r]! *= part[r]!;
  return mask;
}

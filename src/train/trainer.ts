import * as tf from "@tensorflow/tfjs";
import { createEncoder, fitEncoding, type Encoder } from "../data/encode/index.js";
import { createRecordValidator, readRecords } from "../data/readers/index.js";
import { DataError, type RawRecord, type ReadOptions } from "../data/record.js";
import type { ModelIR } from "../ir/types.js";
import { buildModel, createTrainStep } from "../runtime/graph/index.js";
import { encoderCheck, SkipBudget } from "./bad-rows.js";
import { neededColumns, requireColumns } from "./columns.js";
import { batches } from "./batches.js";
import { evaluate, type TaskEvaluation } from "./evaluate.js";
import { NonFiniteLossError } from "./errors.js";
import { saveModelDir } from "./model-dir.js";
import { estimatePriors, initialiseHeads } from "./priors.js";
import { metricsJson } from "./report.js";
import { batchTensors, disposeBatch } from "./tensors.js";

export interface TrainRun {
  ir: ModelIR;
  specText: string;
  train: { file: string; read: ReadOptions };
  valid?: { file: string; read: ReadOptions };
  out: string;
  skipBadRows: number;
  /** Stop after this many steps in total (quick runs and tests). */
  maxSteps?: number;
  /** Records held for shuffling; 0 or 1 reads the file in order. */
  shuffleBuffer: number;
  events: TrainEvents;
}

/** What the trainer tells its caller; the CLI turns these into a progress bar and tables. */
export interface TrainEvents {
  /** A bad row skipped under --skip-bad-rows (reported once, from the first pass). */
  skipped?(error: DataError): void;
  fitted(rows: number, skipped: number): void;
  epochStart(epoch: number, epochs: number, rows: number): void;
  step(rows: number, losses: { total: number; perTask: Record<string, number> }): void;
  epochEnd(epoch: number, metrics: TaskEvaluation[], on: string): void;
}

export interface TrainResult {
  metrics: TaskEvaluation[];
  steps: number;
  /** Total loss at every step. */
  losses: number[];
  skipped: number;
}

/**
 * Reads a labelled data file. JSONL records are checked against a JSON Schema
 * generated from the features and labels, so a wrong type names the record
 * and the field instead of surfacing later as a bad number.
 */
export function readLabelled(ir: ModelIR, source: { file: string; read: ReadOptions }, budget: SkipBudget, encoder?: Encoder): AsyncIterable<RawRecord> {
  const schema = source.read.format === "jsonl" ? createRecordValidator(ir.features, ir.tasks) : undefined;
  const check = encoder ? encoderCheck((rows, file) => encoder.encodeBatch(rows, file), schema) : schema;
  const records = readRecords(source.file, source.read, budget.readerLimits(check));
  return { [Symbol.asyncIterator]: () => requireColumns(records, neededColumns(ir, true), source.file, source.read) };
}

export async function trainModel(run: TrainRun): Promise<TrainResult> {
  const { ir } = run;
  const fitBudget = new SkipBudget(run.skipBadRows, run.events.skipped);
  const state = await fitEncoding(ir, readLabelled(ir, run.train, fitBudget), run.train.file, { onBadRow: fitBudget.take });
  if (state.rows === 0) {
    throw new DataError(run.train.file, null, `no usable training rows: all ${fitBudget.skipped.length} rows were bad and skipped`, "fix the rows reported above");
  }
  run.events.fitted(state.rows, fitBudget.skipped.length);
  const encoder = createEncoder(ir, state);
  const built = buildModel(ir);
  const priorBudget = new SkipBudget(run.skipBadRows);
  const priors = await estimatePriors(ir, encoder, readLabelled(ir, run.train, priorBudget), run.train.file, priorBudget.take);
  initialiseHeads(built, ir, priors);
  const step = createTrainStep(built);
  const losses: number[] = [];
  let metrics: TaskEvaluation[] = [];
  try {
    for (let epoch = 1; epoch <= ir.train.epochs; epoch++) {
      run.events.epochStart(epoch, ir.train.epochs, state.rows);
      const budget = new SkipBudget(run.skipBadRows);
      const records = readLabelled(ir, run.train, budget);
      const shuffle = run.shuffleBuffer > 1 ? { buffer: run.shuffleBuffer, seed: `${ir.train.seed}:epoch${epoch}` } : undefined;
      for await (const rows of batches(records, ir.train.batch, shuffle)) {
        const encoded = encoder.encodeBatch(rows, run.train.file, { onBadRow: budget.take });
        if (encoded.size === 0) continue;
        const tensors = batchTensors(ir, encoded);
        let result;
        try {
          result = step.run(tensors);
        } finally {
          disposeBatch(tensors);
        }
        checkFinite(result, step.steps, epoch);
        losses.push(result.total);
        run.events.step(encoded.size, result);
        if (run.maxSteps !== undefined && losses.length >= run.maxSteps) break;
      }
      const target = run.valid ?? run.train;
      metrics = await evaluateFile(ir, built.model, encoder, target, run.skipBadRows);
      run.events.epochEnd(epoch, metrics, run.valid ? "validation" : "training");
      if (run.maxSteps !== undefined && losses.length >= run.maxSteps) break;
    }
    await saveModelDir(run.out, { model: built.model, encoding: state, ir, spec: run.specText, metrics: metricsJson(metrics) });
  } finally {
    step.dispose();
  }
  return { metrics, steps: losses.length, losses, skipped: fitBudget.skipped.length };
}

export async function evaluateFile(
  ir: ModelIR,
  model: tf.LayersModel,
  encoder: Encoder,
  source: { file: string; read: ReadOptions },
  skipBadRows: number,
): Promise<TaskEvaluation[]> {
  const budget = new SkipBudget(skipBadRows);
  const records = readLabelled(ir, source, budget, encoder);
  return evaluate(ir, model, encoder, records, { batch: Math.max(ir.train.batch, 1024), file: source.file, onBadRow: budget.take });
}

function checkFinite(losses: { total: number; perTask: Record<string, number> }, step: number, epoch: number): void {
  if (Number.isFinite(losses.total)) return;
  const culprit = Object.entries(losses.perTask).find(([, v]) => !Number.isFinite(v));
  const where = culprit ? `the loss of task '${culprit[0]}' became ${culprit[1]}` : `the total loss became ${losses.total}`;
  throw new NonFiniteLossError(`at step ${step} (epoch ${epoch}) ${where}. Lower the learning rate, check the labels of that task, or normalize large numeric features.`);
}

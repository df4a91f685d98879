/**
 * The product, end to end, for one spec: compile the spec text, train it on
 * data files with the real trainer, load the saved model folder, evaluate or
 * score a held-out file. Every experiment goes through here, so the results
 * are what `mtl train` / `mtl eval` / `mtl predict` would give.
 */
import { join } from "node:path";
import type * as tf from "@tensorflow/tfjs";
import { compileSource } from "../compiler.js";
import { hasErrors } from "../diagnostics/diagnostic.js";
import { renderHuman } from "../diagnostics/render-human.js";
import { createEncoder, type Encoder, type LabelValues } from "../data/encode/index.js";
import { readRecords } from "../data/readers/index.js";
import type { ValidIR } from "../ir/types.js";
import type { TaskEvaluation } from "../evaluate/evaluate.js";
import { loadModelDir } from "../model-dir/folder.js";
import { collectPredictions } from "../serve/predict.js";
import { readOptionsFor } from "../train/read-options.js";
import { evaluateFile, trainModel, type TrainEvents } from "../train/trainer.js";
import { inspectGates, type GateInspection } from "../inspect/gates.js";

export class ExperimentError extends Error {
  override name = "ExperimentError";
}

/** Compiles spec text an experiment generated; an error is a bug in the template, reported with the diagnostics. */
export function compileSpec(text: string, file: string): ValidIR {
  const result = compileSource(text, file);
  if (!result.ir || hasErrors(result.diagnostics)) {
    const rendered = renderHuman(result.diagnostics, new Map([[file, text]]), { color: false });
    throw new ExperimentError(`the experiment spec ${file} does not compile:\n${rendered}`);
  }
  return result.ir;
}

export interface TrainedModel {
  ir: ValidIR;
  model: tf.LayersModel;
  encoder: Encoder;
  /** The label values training saw, to refuse evaluation files that spell them otherwise. */
  trainedLabels?: Record<string, LabelValues>;
  /** Metrics on the validation file after each epoch (what the trainer prints). */
  validHistory: TaskEvaluation[][];
  steps: number;
  dispose(): void;
}

export interface TrainSpecOptions {
  specText: string;
  /** A name for messages and the model folder, e.g. "mmoe-corr0.5-seed2". */
  name: string;
  train: string;
  valid: string;
  /** Folder that receives the model folder `<name>`. */
  workDir: string;
  /** The compiled spec, when the caller compiled `specText` itself (say, to change its training settings). */
  ir?: ValidIR;
  /** Progress for a watching user (the demo); the experiments train silently. */
  events?: TrainEvents;
}

/** Trains with the real trainer (which saves a model folder), then loads that folder back. */
export async function trainSpec(o: TrainSpecOptions): Promise<TrainedModel> {
  const ir = o.ir ?? compileSpec(o.specText, `${o.name}.mtl`);
  const out = join(o.workDir, o.name);
  const validHistory: TaskEvaluation[][] = [];
  const epochEnd: TrainEvents["epochEnd"] = (epoch, metrics, on) => {
    validHistory.push(metrics);
    o.events?.epochEnd(epoch, metrics, on);
  };
  const result = await trainModel({
    ir,
    specText: o.specText,
    train: { file: o.train, read: readOptionsFor(o.train, ir.data) },
    valid: { file: o.valid, read: readOptionsFor(o.valid, ir.data) },
    out,
    skipBadRows: 0,
    // Every experiment's files are in random order already (generated i.i.d., or shuffled by the census
    // split), so batches read in file order; a reservoir of thousands of records would only add
    // garbage-collection time (a third of the CPU time of a synthetic run, measured).
    shuffleBuffer: 0,
    events: o.events ? { ...o.events, epochEnd } : { fitted() {}, epochStart() {}, step() {}, epochEnd },
  });
  const loaded = await loadModelDir(out);
  return {
    ir: loaded.ir,
    model: loaded.model,
    encoder: createEncoder(loaded.ir, loaded.encoding),
    ...(loaded.encoding.labels && { trainedLabels: loaded.encoding.labels }),
    validHistory,
    steps: result.steps,
    dispose: () => loaded.model.dispose(),
  };
}

/** `mtl eval`: every task's metrics on a file, each under its `where`. */
export function evaluateOn(trained: TrainedModel, file: string): Promise<TaskEvaluation[]> {
  return evaluateFile(trained.ir, trained.model, trained.encoder, { file, read: readOptionsFor(file, trained.ir.data) }, 0, trained.trainedLabels);
}

/** `mtl inspect`: what the model's gates do on a file. */
export function inspectOn(trained: TrainedModel, file: string): Promise<GateInspection> {
  return inspectGates(trained.ir, trained.model, trained.encoder, readRecords(file, readOptionsFor(file, trained.ir.data)), { batch: 4096, file });
}

/** `mtl predict`: every task's prediction for every row of a file, in row order. */
export function predictOn(trained: TrainedModel, file: string): Promise<Record<string, Float32Array>> {
  const read = readOptionsFor(file, trained.ir.data);
  return collectPredictions(trained.ir, trained.model, trained.encoder, readRecords(file, read), file);
}

/** The metrics of one task from an evaluation; a missing task is a bug in the experiment. */
export function taskMetrics(evaluation: readonly TaskEvaluation[], task: string): TaskEvaluation["metrics"] {
  const found = evaluation.find((e) => e.task === task);
  if (!found) throw new ExperimentError(`no metrics for task '${task}' (have: ${evaluation.map((e) => e.task).join(", ")})`);
  return found.metrics;
}

/** Numeric columns of a data file, in row order: labels and ground truth the model never reads. */
export async function readColumns<C extends string>(file: string, ir: ValidIR, columns: readonly C[]): Promise<Record<C, Float64Array>> {
  const values = Object.fromEntries(columns.map((c) => [c, [] as number[]])) as Record<C, number[]>;
  for await (const record of readRecords(file, readOptionsFor(file, ir.data))) {
    for (const c of columns) {
      const v = Number(record.fields[c]);
      if (!Number.isFinite(v)) throw new ExperimentError(`${file}:${record.line}: column '${c}' is ${JSON.stringify(record.fields[c])}, not a number`);
      values[c].push(v);
    }
  }
  return Object.fromEntries(columns.map((c) => [c, Float64Array.from(values[c])])) as Record<C, Float64Array>;
}

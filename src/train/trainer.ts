import * as tf from "#tfjs";
import { createEncoder, fitEncoding, numberColumns, type EncodedBatch, type Encoder, type EncodingState, type LabelValues } from "../data/encode/index.js";
import { readRecords, type RecordCheck } from "../data/readers/index.js";
import { DataError, type RawRecord, type ReadOptions } from "../data/record.js";
import type { ValidIR } from "../ir/types.js";
import { assertModelFits, buildModel, createTrainStep, type BuiltModel, type StepLosses, type StepRunOptions, type TrainStep } from "../runtime/graph/index.js";
import { encoderCheck, SkipBudget } from "./bad-rows.js";
import { checkColumns, neededColumns, requireColumns } from "./columns.js";
import { encodeRows, encodeUnfitted, hasStatistics, permutation, readLabelledBlocks, type EncodedRows, type EncodeOptions } from "./encoded-rows.js";
import { evaluate, evaluateEncoded, FileScores, type TaskEvaluation } from "../evaluate/evaluate.js";
import type { Checkpoint, CheckpointPosition } from "./checkpoint/format.js";
import { modelSaveError } from "./checkpoint/messages.js";
import { CheckpointSession, type CheckpointOptions, type SessionRun } from "./checkpoint/session.js";
import { checkpointDir } from "./checkpoint/store.js";
import { CheckpointError, ModelDirError, NonFiniteLossError } from "../errors.js";
import { checkEvaluationLabels, checkTrainingLabels } from "./label-check.js";
import { saveModelDir } from "../model-dir/folder.js";
import { estimatePriors, initialiseHeads } from "./priors.js";
import { checkSampleWeights } from "./weight-check.js";
import { metricsJson } from "../evaluate/report.js";
import { balancerJson } from "../runtime/balance/balancer.js";
import { batchTensors, disposeBatch } from "./tensors.js";
import { TrainingInterrupted } from "./interrupted.js";
import { writableRows } from "../runtime/backend/tensor-memory.js";
import { nonFiniteCount } from "../util/finite.js";

/** What metrics.json says its figures were measured on. */
const METRICS_DATA = {
  validation: "validation",
  training: "training",
  running: "training, from the last epoch's own steps (each batch scored as it was trained on, before its update)",
} as const;

/** SessionRun: the spec, data, output folder and limits a checkpoint records. */
export interface TrainRun extends SessionRun {
  events: TrainEvents;
  /** Save checkpoints into OUT/checkpoint/ (and resume from one); none when absent. */
  checkpoint?: CheckpointOptions;
  /** The session of `checkpoint`, when the caller opened it already (the CLI does, to record the run before loading a backend). */
  session?: CheckpointSession;
  /** When aborted, training stops after the current step (saving a checkpoint) and throws TrainingInterrupted. */
  stop?: AbortSignal;
  /** Bytes of encoded rows kept in memory before the on-disk cache is used (encoded-rows.ts DATA_MEMORY_BYTES by default). */
  dataMemoryBytes?: number;
}

/** What the trainer tells its caller; the CLI turns these into a progress bar and tables. */
export interface TrainEvents {
  /** A bad row skipped under --skip-bad-rows (reported once, from the first pass). */
  skipped?(error: DataError): void;
  fitted(rows: number, skipped: number): void;
  /** A problem that does not stop training, as a whole line (say, a task whose training rows hold one class). */
  warning?(message: string): void;
  /** Training continues from a checkpoint instead of fitting (then `fitted` is not called). */
  resumed?(from: CheckpointPosition & { total: number }): void;
  /** Which train step runs (TrainStep.engine: "fused", or "plain" and why), once the model is built. */
  stepEngine?(engine: string): void;
  epochStart(epoch: number, epochs: number, rows: number): void;
  /** Rows of the epoch's batches read again, untrained, to reach the checkpoint's place in the data. */
  replayed?(rows: number): void;
  step(rows: number, losses: { total: number; perTask: Record<string, number> }): void;
  epochEnd(epoch: number, metrics: TaskEvaluation[], on: "validation" | "training" | "running"): void;
  /** Under gradnorm or dwa weighting, the task weights an epoch ended with (before its epochEnd). */
  taskWeights?(epoch: number, weights: Record<string, number>): void;
}

export interface TrainResult {
  metrics: TaskEvaluation[];
  /** Steps trained in total, those before a resumed checkpoint included. */
  steps: number;
  /** Total loss at every step this call ran (not those before a resumed checkpoint). */
  losses: number[];
  skipped: number;
  /** Milliseconds this call spent in training steps (batch tensors, forward, backward, update), for the CLI's time summary. */
  stepMs: number;
}

/**
 * Reads a labelled data file. JSONL records are checked against a JSON Schema
 * generated from the features and labels, so a wrong type names the record
 * and the field instead of surfacing later as a bad number.
 */
export function readLabelled(
  ir: ValidIR,
  source: { file: string; read: ReadOptions },
  budget: Pick<SkipBudget, "readerLimits">,
  encoder?: Encoder,
  /** The records go to the encoder (or the fitting) and nowhere else: number columns may come as numbers, unread columns may be left out. */
  encoderOnly = false,
): AsyncIterable<RawRecord> {
  const needed = neededColumns(ir, true);
  const consumer = encoderOnly ? { numbers: numberColumns(ir), columns: new Set(needed.map((n) => n.column)) } : {};
  const records = (schema?: RecordCheck) => {
    const check = encoder ? encoderCheck((rows, file) => encoder.encodeBatch(rows, file), schema) : schema;
    return readRecords(source.file, source.read, { ...budget.readerLimits(check && columnsFirst(check)), ...consumer });
  };
  // The encoder checks each record inside the reader, before requireColumns sees it: an absent label column
  // must still be named as such at the header (thrown, never skipped), not as a missing label on row 2.
  const columnsFirst = (check: RecordCheck): RecordCheck => {
    let first = source.read.format !== "jsonl";
    return (record, file) => {
      if (first) {
        first = false;
        checkColumns(new Set(Object.keys(record.fields)), needed, source.file, source.read);
      }
      return check(record, file);
    };
  };
  if (source.read.format !== "jsonl") {
    const read = records();
    return { [Symbol.asyncIterator]: () => requireColumns(read, needed, source.file, source.read) };
  }
  // The validator (Ajv, about 0.1 s to load) only for JSONL: a CSV or Parquet run never loads it.
  return {
    async *[Symbol.asyncIterator]() {
      const { createRecordValidator } = await import("../data/readers/jsonl-schema.js");
      yield* requireColumns(records(createRecordValidator(ir.features, ir.tasks)), needed, source.file, source.read);
    },
  };
}

/**
 * Trains `run.ir` on the training file and saves the model folder. With
 * `run.checkpoint`, the train step's state is saved into OUT/checkpoint/
 * every N steps, at each epoch's end but the last and when stopped, and a
 * run can start from such a checkpoint instead of from scratch (see
 * checkpoint/session.ts and docs/reliability.md). The last epoch's end is
 * followed by the model save, which is quicker than a checkpoint of the
 * weights and every optimizer slot: the final checkpoint (marked finished) is
 * written only if that save fails. Once the model is saved, the checkpoint
 * is deleted.
 *
 * The place in the data is restored by replay: the epoch's shuffle is seeded
 * by the spec's seed and the epoch, so reading the epoch again and skipping
 * the batches the checkpoint had consumed (encoded, so bad rows count against
 * --skip-bad-rows as before, but not trained on) reaches exactly the next
 * batch the interrupted run would have trained on. Dropout is seeded by the
 * step count, which the checkpoint restores; the weights' initialisation is
 * replaced by the checkpoint's weights. So a resumed run ends with the same
 * weights as an uninterrupted one.
 */
export async function trainModel(run: TrainRun): Promise<TrainResult> {
  let session = run.session ?? null;
  try {
    // Before any data is read: fitting the encoding of a large file takes a while.
    assertModelFits(run.ir, "train");
    session ??= run.checkpoint ? CheckpointSession.open(run, run.checkpoint) : null;
    return await trainIn(run, session);
  } catch (error) {
    if (!(error instanceof TrainingInterrupted)) session?.failed();
    throw error;
  }
}

async function trainIn(run: TrainRun, session: CheckpointSession | null): Promise<TrainResult> {
  const { ir } = run;
  await session?.prepare();
  const resume = session?.options.resume;
  const stopRequested = () => run.stop?.aborted === true;
  const interrupted = () => session?.interrupted() ?? new TrainingInterrupted(null);
  const { encoding, built, step, fitSkipped, train } = resume ? await resumedSetup(run, resume, stopRequested) : await freshSetup(run, stopRequested);
  run.events.stepEngine?.(step.engine);
  const datasets = [train];
  const losses: number[] = [];
  let stepMs = 0;
  const reachedMax = () => run.maxSteps !== undefined && step.steps >= run.maxSteps;
  const save = async (position: CheckpointPosition, finished: boolean) => session?.save(step, position, { finished, encoding, fitSkipped });

  /**
   * Trains one epoch from its batch `skip` on; returns the batches consumed, whether --max-steps ended it and,
   * when asked (`running`) and every batch of the epoch was trained here, the metrics of its training steps'
   * forward passes: each row scored as it was trained on, by the weights before that step's update.
   * The rows are encoded once (train): an epoch is a seeded permutation of them, the same on a resumed run.
   */
  async function trainEpoch(epoch: number, skip: number, running: boolean): Promise<{ batches: number; stoppedEarly: boolean; metrics: TaskEvaluation[] | null }> {
    const order = run.shuffleBuffer > 1 ? permutation(train.rows, `${ir.train.seed}:epoch${epoch}`) : null;
    const scores = running && skip === 0 ? new FileScores(ir, null, run.train.file) : null;
    let consumed = 0;
    for (let from = 0; from < train.rows; from += ir.train.batch) {
      // Let the event loop turn, or a Ctrl-C would only be seen at the end of the epoch.
      if (run.stop && consumed % 16 === 0) await new Promise<void>((done) => setImmediate(done));
      consumed++;
      const to = Math.min(from + ir.train.batch, train.rows);
      if (consumed <= skip) {
        run.events.replayed?.(to - from);
        // The checkpoint resumed from is still the last one.
        if (stopRequested()) throw interrupted();
        continue;
      }
      const started = performance.now();
      const { batch, lines } = train.gather(order, from, to);
      const result = runStep(step, ir, batch, { scores: scores !== null });
      stepMs += performance.now() - started;
      checkFinite(result, { step: step.steps, epoch, file: run.train.file }, session);
      if (scores !== null) scores.addScores(result.scores!, batch, lines);
      losses.push(result.total);
      run.events.step(batch.size, result);
      if (reachedMax()) return { batches: consumed, stoppedEarly: true, metrics: null };
      const position = { steps: step.steps, epoch, batch: consumed, epochComplete: false };
      if (stopRequested() || session?.due(step.steps)) await save(position, false);
      if (stopRequested()) throw interrupted();
    }
    // Before the epoch's checkpoint, which then holds the next epoch's weights.
    step.balancer?.epochEnded(epoch);
    return { batches: consumed, stoppedEarly: false, metrics: scores?.result(train.labelValues, encoding.labels) ?? null };
  }

  let metrics: TaskEvaluation[] | null = null;
  let metricsOn: "validation" | "training" | "running" = run.valid ? "validation" : "training";
  /** Where training ended in this call, when it did (not when a finished checkpoint was resumed). */
  let finalPosition: CheckpointPosition | null = null;
  try {
    const valid = run.valid ? await encodeValidation(run, run.valid, encoding, stopRequested) : null;
    if (valid) datasets.push(valid);
    const scored = valid ?? train;
    const evaluateNow = () =>
      evaluateEncoded(ir, built.model, scored.batches(Math.max(ir.train.batch, 1024)), scored.labelValues, { file: (run.valid ?? run.train).file, trainedLabels: encoding.labels });
    const start = resume?.meta.position ?? { steps: 0, epoch: 1, batch: 0, epochComplete: false };
    try {
      for (let epoch = start.epoch; epoch <= ir.train.epochs; epoch++) {
        run.events.epochStart(epoch, ir.train.epochs, encoding.rows);
        const resumedHere = resume !== undefined && epoch === start.epoch;
        let stoppedEarly = reachedMax();
        let running: TaskEvaluation[] | null = null;
        if (!stoppedEarly && !(resumedHere && start.epochComplete)) {
          // Without validation data, the epoch's metrics come from its own steps (no second pass over the rows).
          const epochRun = await trainEpoch(epoch, resumedHere ? start.batch : 0, !valid);
          stoppedEarly = epochRun.stoppedEarly;
          running = epochRun.metrics;
          const position = { steps: step.steps, epoch, batch: epochRun.batches, epochComplete: !stoppedEarly };
          // The run's end: the model save follows at once, so its checkpoint is written only if that save fails (below).
          if (stoppedEarly || epoch === ir.train.epochs) finalPosition = position;
          else await save(position, false);
        }
        // A partial epoch (resumed mid-way, or ended by --max-steps) is scored by a pass over all the rows.
        metrics = running ?? evaluateNow();
        metricsOn = run.valid ? "validation" : running ? "running" : "training";
        const weights = step.balancer?.history.find((h) => h.epoch === epoch);
        if (weights) run.events.taskWeights?.(epoch, weights.weights);
        run.events.epochEnd(epoch, metrics, metricsOn);
        if (stoppedEarly) break;
        // After the last epoch, saving the model is quicker than resuming would be.
        if (stopRequested() && epoch < ir.train.epochs) throw interrupted();
      }
      // Resumed with fewer --epochs than the checkpoint had reached: evaluate the model as it is.
      if (metrics === null) {
        metrics = evaluateNow();
        metricsOn = run.valid ? "validation" : "training";
      }
      // What the skipped final checkpoint would have refused: a model whose weights are no longer finite.
      if (session && finalPosition) assertFiniteWeights(built.model, finalPosition, session);
      try {
        await saveModelDir(run.out, { model: built.model, encoding, ir, spec: run.specText, metrics: { ...metricsJson(metrics, METRICS_DATA[metricsOn]), ...balancerJson(step.balancer) }, ...(session && { run: session.finalRecord() }) });
      } catch (error) {
        if (!isSystemError(error)) throw error;
        // Keep the trained state for `--resume`, which then only evaluates and saves the model.
        // If that fails too, the message names the checkpoint that is there (session.last).
        if (finalPosition) await save(finalPosition, true).catch(() => undefined);
        throw modelSaveError(error, run.out, session?.last ?? null);
      }
      session?.finish();
    } finally {
      step.dispose();
    }
  } finally {
    for (const rows of datasets) rows.dispose();
  }
  return { metrics, steps: step.steps, losses, skipped: fitSkipped, stepMs };
}

/** One step on an encoded batch: as typed arrays where the step takes them (the fused step), else as tensors. */
function runStep(step: TrainStep, ir: ValidIR, batch: EncodedBatch, options: StepRunOptions): StepLosses {
  if (step.runEncoded !== undefined) return step.runEncoded(batch, options);
  const tensors = batchTensors(ir, batch);
  try {
    return step.run(tensors, options);
  } finally {
    disposeBatch(tensors);
  }
}

interface Setup {
  encoding: EncodingState;
  built: BuiltModel;
  step: TrainStep;
  /** Bad rows the fitting pass skipped. */
  fitSkipped: number;
  /** The training rows, encoded once for every later pass. */
  train: EncodedRows;
}

/** A new run: fit the encoding, build the model, start the heads at their labels' base rates. */
async function freshSetup(run: TrainRun, stopRequested: () => boolean): Promise<Setup> {
  const { ir } = run;
  const { encoding, train, fitSkipped } = hasStatistics(ir) ? await fitThenEncode(run, stopRequested) : await encodeOnce(run, stopRequested);
  checkSampleWeights(ir, train.targets(4096), run.train.file);
  const built = buildModel(ir);
  initialiseHeads(built, ir, estimatePriors(ir, train.targets(4096)));
  return { encoding, built, step: createTrainStep(built), fitSkipped, train };
}

type Encoded = Pick<Setup, "encoding" | "train" | "fitSkipped">;

/** Fits the encoding in a first pass (numeric statistics), then encodes the rows with it. */
async function fitThenEncode(run: TrainRun, stopRequested: () => boolean): Promise<Encoded> {
  const { ir } = run;
  const fitBudget = new SkipBudget(run.skipBadRows, run.events.skipped);
  const encoding = await fitEncoding(ir, untilStopped(readLabelled(ir, run.train, fitBudget, undefined, true), stopRequested), run.train.file, { onBadRow: fitBudget.take });
  fitted(run, encoding, fitBudget.skipped.length);
  return { encoding, train: await encodeTraining(run, encoding, stopRequested), fitSkipped: fitBudget.skipped.length };
}

/** Without statistics to fit, one pass encodes the rows and finds the encoding (encoded-rows.ts encodeUnfitted). */
async function encodeOnce(run: TrainRun, stopRequested: () => boolean): Promise<Encoded> {
  const { rows: train, encoding } = await encodeUnfitted(run.ir, run.train, { ...encodeOptions(run, run.train, "train", stopRequested), ...(run.events.skipped && { onSkip: run.events.skipped }) });
  try {
    fitted(run, encoding, train.skipped);
  } catch (error) {
    train.dispose();
    throw error;
  }
  return { encoding, train, fitSkipped: train.skipped };
}

/** After the first pass: refuses a file without a good row, warns of labels training cannot learn from, reports the count. */
function fitted(run: TrainRun, encoding: EncodingState, skipped: number): void {
  if (encoding.rows === 0) {
    throw new DataError(run.train.file, null, `no usable training rows: all ${skipped} rows were bad and skipped`, "fix the rows reported above");
  }
  for (const warning of checkTrainingLabels(run.ir, encoding.labels, run.train.file)) run.events.warning?.(`${run.train.file}: warning: ${warning}`);
  run.events.fitted(encoding.rows, skipped);
}

/** Reads and encodes the training file once (see encoded-rows.ts); every epoch then reads it from memory or the cache. */
function encodeTraining(run: TrainRun, encoding: EncodingState, stopRequested: () => boolean): Promise<EncodedRows> {
  return encodeRows(run.ir, createEncoder(run.ir, encoding), encoding, run.train, encodeOptions(run, run.train, "train", stopRequested));
}

/** How `source` is read and encoded once, by role (its cache's name). */
function encodeOptions(run: TrainRun, source: { file: string; read: ReadOptions }, role: "train" | "valid", stopRequested: () => boolean): EncodeOptions {
  return {
    skipBadRows: run.skipBadRows,
    out: run.out,
    role,
    read: (budget) => untilStopped(readLabelled(run.ir, source, budget, undefined, true), stopRequested),
    readBlocks: source.read.format === "csv" ? (budget) => untilStopped(readLabelledBlocks(run.ir, source, budget), stopRequested) : undefined,
    ...(run.dataMemoryBytes !== undefined && { memoryBytes: run.dataMemoryBytes }),
  };
}

/** A resumed run: the checkpoint's encoding and train step state replace fitting and initialisation. */
async function resumedSetup(run: TrainRun, checkpoint: Checkpoint, stopRequested: () => boolean): Promise<Setup> {
  const train = await encodeTraining(run, checkpoint.encoding, stopRequested);
  const built = buildModel(run.ir);
  const step = createTrainStep(built);
  try {
    await step.importState(checkpoint.state);
  } catch (error) {
    step.dispose();
    train.dispose();
    const dir = checkpointDir(run.out);
    throw new CheckpointError(`the checkpoint in ${dir} does not fit the model of the spec (${(error as Error).message}); train again with --force to start afresh`);
  }
  run.events.resumed?.({ ...checkpoint.meta.position, total: checkpoint.encoding.rows });
  return { encoding: checkpoint.encoding, built, step, fitSkipped: checkpoint.meta.fitSkipped, train };
}

/**
 * Reads and encodes the validation file once, before training, so that a bad
 * row there, or a label value training never saw, stops the run now, not
 * after hours of the first epoch; the metrics after each epoch are then
 * computed from these rows. The same checks and --skip-bad-rows allowance as
 * `mtl evaluate`.
 */
async function encodeValidation(run: TrainRun, valid: { file: string; read: ReadOptions }, encoding: EncodingState, stopRequested: () => boolean): Promise<EncodedRows> {
  const rows = await encodeRows(run.ir, createEncoder(run.ir, encoding), encoding, valid, encodeOptions(run, valid, "valid", stopRequested));
  try {
    // Only the values training never saw stop the run; one class alone is noted with the metrics.
    checkEvaluationLabels(run.ir, encoding.labels, rows.labelValues, valid.file);
  } catch (error) {
    rows.dispose();
    throw error;
  }
  return rows;
}

/** The records, until a stop is requested: the passes before training stop at once, with nothing to save. */
function untilStopped<T>(records: AsyncIterable<T>, stopRequested: () => boolean): AsyncIterable<T> {
  return {
    async *[Symbol.asyncIterator]() {
      for await (const record of records) {
        if (stopRequested()) throw new TrainingInterrupted(null);
        yield record;
      }
    },
  };
}

/** An operating-system error (ENOSPC, EACCES, ...) rather than one of mtl's own. */
function isSystemError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === "string" && !(error instanceof ModelDirError);
}

export async function evaluateFile(
  ir: ValidIR,
  model: tf.LayersModel,
  encoder: Encoder,
  source: { file: string; read: ReadOptions },
  skipBadRows: number,
  trainedLabels?: Record<string, LabelValues>,
): Promise<TaskEvaluation[]> {
  const budget = new SkipBudget(skipBadRows);
  const records = readLabelled(ir, source, budget, encoder);
  return evaluate(ir, model, encoder, records, { batch: Math.max(ir.train.batch, 1024), file: source.file, onBadRow: budget.take, ...(trainedLabels && { trainedLabels }) });
}

/** Throws the session's non-finite error (naming the last good checkpoint) if a weight of `model` is NaN or infinite. */
function assertFiniteWeights(model: tf.LayersModel, at: CheckpointPosition, session: CheckpointSession): void {
  for (const weight of model.weights) {
    // Read in place where the backend allows (no boolean copy of a 41.6M-value table, as tf.isFinite makes).
    const values = writableRows(weight.read());
    const finite = values !== null ? nonFiniteCount(values) === 0 : tf.tidy(() => tf.all(tf.isFinite(weight.read())).dataSync()[0]) === 1;
    if (!finite) {
      throw session.nonFinite(`after step ${at.steps} (epoch ${at.epoch}) the weight '${weight.originalName}' is no longer finite. Lower the learning rate, check the labels, or normalize large numeric features.`);
    }
  }
}

function checkFinite(losses: { total: number; perTask: Record<string, number> }, at: { step: number; epoch: number; file: string }, session: CheckpointSession | null): void {
  if (Number.isFinite(losses.total)) return;
  const culprit = Object.entries(losses.perTask).find(([, v]) => !Number.isFinite(v));
  const where = culprit ? `the loss of task '${culprit[0]}' became ${culprit[1]}` : `the total loss became ${losses.total}`;
  const labels = culprit ? `the labels of that task in ${at.file}` : `the labels in ${at.file}`;
  const message = `at step ${at.step} (epoch ${at.epoch}) ${where}. Lower the learning rate, check ${labels}, or normalize large numeric features.`;
  throw session ? session.nonFinite(message) : new NonFiniteLossError(message);
}

/**
 * Checkpointing for one training run: checks before any work that the
 * output folder can be written, that the run may start there, and that a
 * checkpoint to resume fits the run; records the run (run-record.ts); then
 * saves the train step's state when the trainer asks (every N steps, or
 * every so many seconds: a checkpoint after any step resumes exactly, so
 * when they are taken does not change the weights), and knows the last
 * checkpoint saved, for the messages of a failure or an interruption.
 */
import { accessSync, constants, existsSync, rmSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { EncodingState } from "../../data/encode/index.js";
import { fileError } from "../../data/readers/file-errors.js";
import type { ReadOptions } from "../../data/record.js";
import type { ValidIR } from "../../ir/types.js";
import type { TrainStep } from "../../runtime/graph/index.js";
import { removeStaleTempFiles } from "../../util/atomic-write.js";
import { compareWithCheckpoint, fingerprintDataFile, irHash, type ComparedRun } from "./compat.js";
import { CHECKPOINT_VERSION, firstNonFiniteWeight, type Checkpoint, type CheckpointMeta, type CheckpointPosition, type DataFingerprint, type RecordedData, type RunDescription } from "./format.js";
import { checkpointWriteError, describePlace, finishedModelError, recordWriteError, resumeCommand, systemProblem, unfinishedRunError } from "./messages.js";
import { checkpointDir, defaultCheckpointIo, removeCheckpoint, removeUncommitted, saveCheckpoint, type CheckpointIo } from "./store.js";
import { MANIFEST } from "../../model-dir/folder.js";
import { CheckpointError, ModelDirError, NonFiniteLossError } from "../../errors.js";
import { removeRunRecord, runRecord, runRecordPath, runRecordText, writeRunRecord } from "./run-record.js";
import { describeUnfinished, folderStatus, inspectTrainFolder, refuseForeignFiles, type TrainFolder } from "./train-folder.js";
import { TrainingInterrupted, type CheckpointPlace } from "../interrupted.js";

/**
 * How a run relates to what its --out folder holds. new: the folder must
 * hold no run; replace (--force): whatever run or model it holds is
 * replaced; continue (--resume): from `resume`, or from step 0 when the
 * folder has no checkpoint (yet).
 */
export type RunStart = "new" | "replace" | "continue";

export interface CheckpointOptions {
  /** Save every this many steps; 0: not by step count. */
  every: number;
  /** Also save once this many seconds have passed since the last save (or the start); 0 or absent: not by time. */
  seconds?: number;
  /** Default: "continue" with `resume`, else "new". */
  start?: RunStart;
  /** Continue from this checkpoint (read with loadCheckpoint from the --out folder's checkpoint/). */
  resume?: Checkpoint;
  /** Resume even though the optimiser settings, train.l2 or the data changed (see compat.ts). */
  acceptChanges?: boolean;
  /** How files are written (tests inject a full disk). */
  io?: CheckpointIo;
}

/** What of the run a checkpoint records besides the train step's state. */
export interface SessionRun {
  ir: ValidIR;
  specText: string;
  train: { file: string; read: ReadOptions };
  valid?: { file: string; read: ReadOptions };
  out: string;
  skipBadRows: number;
  /** Stop after this many steps in total (quick runs and tests). */
  maxSteps?: number;
  /** Records held for shuffling; 0 or 1 reads the file in order. */
  shuffleBuffer: number;
}

/**
 * The run as a checkpoint or a run record describes it; paths absolute, so
 * a resume from another working folder reads the same files.
 */
export function describeRun<Data extends RecordedData>(run: SessionRun, interval: Pick<CheckpointOptions, "every" | "seconds">, data: Data): RunDescription<Data> {
  const { ir, specText, train, valid, skipBadRows, maxSteps, shuffleBuffer } = run;
  return {
    irHash: irHash(ir),
    ir,
    spec: specText,
    run: {
      data,
      read: train.read,
      valid: valid ? { file: resolve(valid.file), read: valid.read } : null,
      shuffleBuffer,
      skipBadRows,
      maxSteps: maxSteps ?? null,
      checkpointEvery: interval.every,
      checkpointSeconds: interval.seconds ?? 0,
    },
  };
}

export class CheckpointSession {
  /** The last checkpoint on disk: the one resumed from, then each one saved. */
  last: CheckpointPlace | null;
  readonly dir: string;
  private data: DataFingerprint | null = null;
  /** performance.now() of the last save, or of the start: time-triggered saves count from it. */
  private lastSave = performance.now();
  private readonly started = new Date().toISOString();

  private constructor(
    private readonly run: SessionRun,
    readonly options: CheckpointOptions,
    /** This run wrote the folder's run record where none of a run to continue was: a failure before any checkpoint removes it again. */
    private readonly ownsRecord: boolean,
  ) {
    this.dir = checkpointDir(run.out);
    const from = options.resume?.meta.position;
    this.last = from ? this.place(from) : null;
  }

  /**
   * Checks, before any work, that the output folder can be written and
   * that the run may start there (a new run never replaces an unfinished
   * run or a finished model: see RunStart), then records the run in
   * OUT/run.json when it starts without a checkpoint, so that from now on a
   * kill at any moment leaves a folder `mtl train --resume` continues.
   * Quick (no data is read): callers call it before loading a backend.
   */
  static open(run: SessionRun, options: CheckpointOptions, folder: TrainFolder = inspectTrainFolder(run.out)): CheckpointSession {
    checkWritableFolder(run.out);
    const start = options.start ?? (options.resume ? "continue" : "new");
    if (folder.recordProblem && start !== "replace") throw folder.recordProblem;
    const status = folderStatus(folder);
    if (start === "new" && status === "unfinished") throw unfinishedRunError(run.out, describeUnfinished(folder));
    if (start !== "replace" && status === "empty") refuseForeignFiles(run.out);
    if (start !== "replace" && status === "finished") throw finishedModelError(run.out, folder.record ? "of another run" : "with no record of the run that trained it");
    if (start === "continue" && !options.resume && (folder.checkpoint || folder.damaged)) throw unfinishedRunError(run.out, `${describeUnfinished(folder)}, which this run did not load`);
    const session = new CheckpointSession(run, options, !options.resume && !(start === "continue" && folder.record));
    if (existsSync(run.out)) removeStaleTempFiles(run.out);
    if (!options.resume) {
      if (start === "continue" && folder.record) session.refuseDifferences(folder.record, "the recorded run");
      if (start === "replace") session.clear(folder);
      session.record();
    }
    if (existsSync(session.dir)) removeUncommitted(session.dir);
    return session;
  }

  /**
   * Reads the training data's fingerprint, and checks that a checkpoint to
   * resume fits this run (saying what differs); then records the run's
   * settings as resumed (--epochs and the like may change on resume).
   */
  async prepare(): Promise<void> {
    try {
      this.data = await fingerprintDataFile(this.run.train.file);
    } catch (error) {
      throw fileError(this.run.train.file, error);
    }
    const resume = this.options.resume;
    if (!resume) return;
    this.refuseDifferences(resume.meta, "the checkpoint");
    this.record();
  }

  /** The run as its record and checkpoints describe it. */
  private description(): RunDescription<RecordedData> {
    return describeRun(this.run, this.options, this.data ?? { file: resolve(this.run.train.file) });
  }

  private refuseDifferences(then: ComparedRun, source: string): void {
    const check = compareWithCheckpoint(then, this.description(), source);
    const blocking = this.options.acceptChanges ? check.refused : [...check.refused, ...check.changeable];
    if (blocking.length === 0) return;
    const escape = check.refused.length === 0 ? "; or pass --accept-changes to continue with the changed settings anyway (the result then differs from an uninterrupted run)" : "";
    const what = source === "the checkpoint" ? `cannot resume from ${this.dir}` : `cannot resume the run recorded in ${runRecordPath(this.run.out)}`;
    throw new CheckpointError(`${what}: this run differs from the one that wrote ${source === "the checkpoint" ? "the checkpoint" : "it"}: ${blocking.join("; ")}. Resume with the same spec, options and data${escape}; or pass --force instead of --resume to start afresh`);
  }

  /** Writes OUT/run.json for this run. */
  private record(): void {
    try {
      writeRunRecord(this.run.out, runRecord(this.description(), { started: this.started }));
    } catch (error) {
      throw recordWriteError(error, runRecordPath(this.run.out));
    }
  }

  /**
   * --force: un-commits the folder's model (its manifest goes first, so a
   * kill from now on leaves an unfinished run, never a model that mixes two
   * runs' files) and deletes its checkpoint.
   */
  private clear(folder: TrainFolder): void {
    try {
      if (folder.model) rmSync(join(this.run.out, MANIFEST), { force: true });
    } catch (error) {
      throw new CheckpointError(`cannot replace the model in ${this.run.out}: ${systemProblem(error)}; delete the folder or choose another --out folder`);
    }
    removeCheckpoint(this.dir);
    if (existsSync(join(this.dir, MANIFEST))) throw new CheckpointError(`cannot delete the checkpoint in ${this.dir}; delete the folder or choose another --out folder`);
  }

  /**
   * The run failed (not stopped by a signal) before any checkpoint: remove the
   * run record it wrote, so that the same command runs again once the cause is
   * fixed. A record of a run to continue stays.
   */
  failed(): void {
    if (this.last === null && this.ownsRecord) removeRunRecord(this.run.out);
  }

  /** Whether a periodic checkpoint is due after `steps` steps: by step count, or by the time since the last save. */
  due(steps: number): boolean {
    const { every, seconds = 0 } = this.options;
    if (every > 0 && steps % every === 0) return true;
    return seconds > 0 && performance.now() - this.lastSave >= seconds * 1000;
  }

  /**
   * Saves the step's state at `position`. Refuses (NonFiniteLossError) to
   * save weights that are no longer finite, so the last good checkpoint
   * stays the one on disk; a write failure leaves it intact too.
   */
  async save(step: TrainStep, position: CheckpointPosition, extra: { finished: boolean; encoding: EncodingState; fitSkipped: number }): Promise<void> {
    const state = await step.exportState();
    const bad = firstNonFiniteWeight(state);
    if (bad) {
      throw this.nonFinite(
        `after step ${position.steps} (epoch ${position.epoch}) the weight '${bad.name}' became ${bad.value}. Lower the learning rate, check the labels, or normalize large numeric features.`,
      );
    }
    const meta: Omit<CheckpointMeta, "arrays"> = {
      format: "mtl-checkpoint",
      version: CHECKPOINT_VERSION,
      position,
      finished: extra.finished,
      ...describeRun(this.run, this.options, this.fingerprint()),
      fitSkipped: extra.fitSkipped,
      logVariances: state.logVariances,
      ...(state.balancer && { balancer: state.balancer }),
    };
    try {
      await saveCheckpoint(this.dir, { meta, encoding: extra.encoding, state }, this.options.io ?? defaultCheckpointIo);
    } catch (error) {
      throw checkpointWriteError(error, this.dir, this.run.out, this.last);
    }
    this.last = this.place(position);
    this.lastSave = performance.now();
  }

  /** The run record the saved model keeps: with the training data's fingerprint, it tells a rerun of the same command that it has nothing to do. */
  finalRecord(): string {
    return runRecordText(runRecord(describeRun(this.run, this.options, this.fingerprint()), { started: this.started, finished: new Date().toISOString() }));
  }

  /** The model is saved: the checkpoint has served its purpose, and a model folder should hold only the model. */
  finish(): void {
    removeCheckpoint(this.dir);
    this.last = null;
  }

  /** A non-finite loss or weight, with where the last good checkpoint is and how to continue from it. */
  nonFinite(message: string): NonFiniteLossError {
    const last = this.last;
    const kept = last
      ? ` The last good checkpoint (${describePlace(last)}) in ${this.dir} is intact; once the cause is fixed (a lower learning rate in the spec, or the data), continue from it with \`${resumeCommand(this.run.out)} --accept-changes\` (add the spec and --data if they changed).`
      : ` No checkpoint was saved before it.`;
    return new NonFiniteLossError(message + kept);
  }

  interrupted(): TrainingInterrupted {
    return new TrainingInterrupted(this.last);
  }

  private fingerprint(): DataFingerprint {
    if (!this.data) throw new Error("CheckpointSession.prepare() was not called");
    return this.data;
  }

  private place(position: CheckpointPosition): CheckpointPlace {
    return { dir: this.dir, out: this.run.out, ...position };
  }
}

/**
 * Fails fast, before hours of training, when the output folder cannot be
 * written: the folder (or, when it does not exist yet, the folder it would
 * be created in) must be a writable directory. Creates nothing.
 */
function checkWritableFolder(out: string): void {
  let folder = resolve(out);
  while (!existsSync(folder) && dirname(folder) !== folder) folder = dirname(folder);
  const what = folder === resolve(out) ? out : `${out} (it would be created in ${folder})`;
  if (!statSync(folder).isDirectory()) {
    throw new ModelDirError(`cannot write to ${out}: ${folder} is a file, not a folder; choose another --out folder`);
  }
  try {
    accessSync(folder, constants.W_OK | constants.X_OK);
  } catch (error) {
    throw new ModelDirError(`cannot write to ${what}: ${systemProblem(error)}; make the folder writable or choose another --out folder`);
  }
}

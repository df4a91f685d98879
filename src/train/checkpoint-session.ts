/**
 * Checkpointing for one training run: checks before any work that the
 * output folder can be written and that a checkpoint to resume fits the run,
 * then saves the train step's state when the trainer asks, and knows the
 * last checkpoint saved, for the messages of a failure or an interruption.
 */
import { accessSync, constants, existsSync, rmSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { EncodingState } from "../data/encode/index.js";
import { fileError } from "../data/readers/file-errors.js";
import type { ReadOptions } from "../data/record.js";
import type { ModelIR } from "../ir/types.js";
import type { TrainStep } from "../runtime/graph/index.js";
import { removeStaleTempFiles } from "../util/atomic-write.js";
import { compareWithCheckpoint, fingerprintDataFile, irHash } from "./checkpoint-compat.js";
import { CHECKPOINT_VERSION, firstNonFiniteWeight, type Checkpoint, type CheckpointMeta, type CheckpointPosition, type CheckpointRun, type DataFingerprint } from "./checkpoint-format.js";
import { CHECKPOINT_MANIFEST } from "./checkpoint-manifest.js";
import { checkpointWriteError, describePlace, resumeCommand, systemProblem } from "./checkpoint-messages.js";
import { checkpointDir, defaultCheckpointIo, hasCheckpoint, loadCheckpoint, readCheckpointMeta, removeCheckpoint, removeUncommitted, saveCheckpoint, type CheckpointIo } from "./checkpoint-store.js";
import { MANIFEST } from "./model-dir.js";
import { CheckpointError, ModelDirError, NonFiniteLossError, TrainingInterrupted, type CheckpointPlace } from "./errors.js";

export interface CheckpointOptions {
  /** Save every this many steps; 0: only at the end of each epoch (and when stopped). */
  every: number;
  /** Continue from this checkpoint (read with loadCheckpoint from the --out folder's checkpoint/). */
  resume?: Checkpoint;
  /** Resume even though the optimiser settings, train.l2 or the data changed (see checkpoint-compat.ts). */
  acceptChanges?: boolean;
  /** How files are written (tests inject a full disk). */
  io?: CheckpointIo;
}

/** What of the run a checkpoint records besides the train step's state. */
export interface SessionRun {
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
}

/**
 * The checkpoint `mtl train --resume OUT` continues from, read and checked.
 * A folder whose run completed has a model and no checkpoint any more:
 * that is said as such, not as a missing file.
 */
export function checkpointToResume(out: string): Checkpoint {
  const dir = checkpointDir(out);
  if (!hasCheckpoint(dir) && existsSync(join(out, MANIFEST))) {
    throw new CheckpointError(`${out} holds a finished model and no checkpoint: that run completed, there is nothing to resume; train without --resume to start afresh (into another --out folder to keep this model)`);
  }
  return loadCheckpoint(dir);
}

export class CheckpointSession {
  /** The last checkpoint on disk: the one resumed from, then each one saved. */
  last: CheckpointPlace | null;
  readonly dir: string;

  private constructor(
    private readonly run: SessionRun,
    private readonly options: CheckpointOptions,
    private readonly data: DataFingerprint,
  ) {
    this.dir = checkpointDir(run.out);
    const from = options.resume?.meta.position;
    this.last = from ? this.place(from) : null;
  }

  /**
   * Checks, before any work, that the output folder can be written, that a
   * checkpoint to resume fits this run (saying what differs), and that a
   * fresh run does not silently replace the checkpoint of an unfinished one.
   */
  static async open(run: SessionRun, options: CheckpointOptions): Promise<CheckpointSession> {
    checkWritableFolder(run.out);
    let data: DataFingerprint;
    try {
      data = await fingerprintDataFile(run.train.file);
    } catch (error) {
      throw fileError(run.train.file, error);
    }
    const session = new CheckpointSession(run, options, data);
    const resume = options.resume;
    if (resume) {
      const check = compareWithCheckpoint(resume.meta, { ir: run.ir, run: { data, read: run.train.read, shuffleBuffer: run.shuffleBuffer } });
      const blocking = options.acceptChanges ? check.refused : [...check.refused, ...check.changeable];
      if (blocking.length > 0) {
        const escape = check.refused.length === 0 ? "; or pass --accept-changes to continue with the changed settings anyway (the result then differs from an uninterrupted run)" : "";
        throw new CheckpointError(
          `cannot resume from ${session.dir}: this run differs from the one that wrote the checkpoint: ${blocking.join("; ")}. ` +
            `Resume with the same spec, options and data${escape}; or train afresh into another --out folder`,
        );
      }
    } else {
      session.replaceFinishedCheckpoint();
    }
    if (existsSync(run.out)) removeStaleTempFiles(run.out);
    if (existsSync(session.dir)) removeUncommitted(session.dir);
    return session;
  }

  /** Whether the periodic checkpoint is due after `steps` steps. */
  due(steps: number): boolean {
    return this.options.every > 0 && steps % this.options.every === 0;
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
    const { ir, specText, train, valid, skipBadRows, maxSteps, shuffleBuffer } = this.run;
    const runInfo: CheckpointRun = {
      data: this.data,
      read: train.read,
      valid: valid ? { file: resolve(valid.file), read: valid.read } : null,
      shuffleBuffer,
      skipBadRows,
      maxSteps: maxSteps ?? null,
      checkpointEvery: this.options.every,
    };
    const meta: Omit<CheckpointMeta, "arrays"> = {
      format: "mtl-checkpoint",
      version: CHECKPOINT_VERSION,
      position,
      finished: extra.finished,
      irHash: irHash(ir),
      ir,
      spec: specText,
      run: runInfo,
      fitSkipped: extra.fitSkipped,
      logVariances: state.logVariances,
    };
    try {
      saveCheckpoint(this.dir, { meta, encoding: extra.encoding, state }, this.options.io ?? defaultCheckpointIo);
    } catch (error) {
      throw checkpointWriteError(error, this.dir, this.run.out, this.last);
    }
    this.last = this.place(position);
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

  private place(position: CheckpointPosition): CheckpointPlace {
    return { dir: this.dir, out: this.run.out, ...position };
  }

  /**
   * A fresh run into a folder whose checkpoint belongs to an unfinished run
   * is refused (it would overwrite what a resume needs). The checkpoint of a
   * finished run, or a damaged one, is un-committed now, so that a resume
   * after this run is killed cannot pick up the old run's state.
   */
  private replaceFinishedCheckpoint(): void {
    if (!hasCheckpoint(this.dir)) return;
    let finished = true;
    let where = "";
    try {
      const meta = readCheckpointMeta(this.dir);
      finished = meta.finished;
      where = describePlace(meta.position);
    } catch {
      // Damaged: nothing a resume could use.
    }
    if (!finished) {
      throw new CheckpointError(
        `${this.dir} holds the checkpoint of an unfinished run (${where}): continue it with \`${resumeCommand(this.run.out)}\`, ` +
          `or delete ${this.dir} (or choose another --out folder) to start afresh`,
      );
    }
    try {
      rmSync(join(this.dir, CHECKPOINT_MANIFEST), { force: true });
    } catch (error) {
      throw new CheckpointError(`cannot replace the old checkpoint in ${this.dir}: ${systemProblem(error)}; delete the folder or choose another --out folder`);
    }
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

/**
 * What an --out folder holds before `mtl train` starts: nothing of mtl's, an
 * unfinished run (a run record, a checkpoint, or both), or a finished model.
 * `mtl train` then refuses, continues or replaces it (session.ts
 * and the train command decide which, from --resume and --force).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { CheckpointMeta, RecordedData, RunDescription } from "./format.js";
import { finishedRunDifferences } from "./compat.js";
import { describePlace, finishedModelError, foreignFilesError } from "./messages.js";
import { checkpointDir, hasCheckpoint, readCheckpointMeta } from "./store.js";
import { CheckpointError } from "../../errors.js";
import { MANIFEST } from "../../model-dir/file-manifest.js";
import { MODEL_FILE_NAMES } from "../../model-dir/folder.js";
import { readRunRecord, type RunRecord } from "./run-record.js";

export interface TrainFolder {
  out: string;
  /** The run record; null when there is none or it is damaged. */
  record: RunRecord | null;
  /** Why the run record cannot be read, when it cannot: only --force goes past it. */
  recordProblem: CheckpointError | null;
  /** The committed checkpoint's meta, checked against its manifest; null when there is none or it is damaged. */
  checkpoint: CheckpointMeta | null;
  /** Why the committed checkpoint cannot be used, when it cannot. */
  damaged: string | null;
  /** A model is committed: its manifest.json exists. */
  model: boolean;
}

/**
 * finished: a model is saved, and no checkpoint of a later, unfinished run
 * (its final checkpoint may still be there: the run was stopped between
 * saving the model and deleting it). unfinished: a run was started and its
 * model is not saved.
 */
export type FolderStatus = "empty" | "unfinished" | "finished";

export function inspectTrainFolder(out: string): TrainFolder {
  let record: RunRecord | null = null;
  let recordProblem: CheckpointError | null = null;
  try {
    record = readRunRecord(out);
  } catch (error) {
    if (!(error instanceof CheckpointError)) throw error;
    recordProblem = error;
  }
  const dir = checkpointDir(out);
  let checkpoint: CheckpointMeta | null = null;
  let damaged: string | null = null;
  if (hasCheckpoint(dir)) {
    try {
      checkpoint = readCheckpointMeta(dir);
    } catch (error) {
      if (!(error instanceof CheckpointError)) throw error;
      damaged = error.message;
    }
  }
  return { out, record, recordProblem, checkpoint, damaged, model: existsSync(join(out, MANIFEST)) };
}

export function folderStatus(folder: TrainFolder): FolderStatus {
  const unfinishedCheckpoint = folder.damaged !== null || (folder.checkpoint !== null && !folder.checkpoint.finished);
  if (folder.model && !unfinishedCheckpoint) return "finished";
  return unfinishedCheckpoint || folder.checkpoint || folder.record || folder.recordProblem ? "unfinished" : "empty";
}

/**
 * A folder with no run or model of mtl's (status "empty") may still hold
 * files of the same names as a model's (another tool's model.json, say):
 * saving would overwrite them, so only --force goes past them.
 */
export function refuseForeignFiles(out: string): void {
  const present = MODEL_FILE_NAMES.filter((name) => existsSync(join(out, name)));
  if (present.length > 0) throw foreignFilesError(out, present);
}

/** The run the folder describes, for --resume: its record (the latest start's settings), else its checkpoint's. */
export function recordedRun(folder: TrainFolder): RunDescription<RecordedData> | null {
  return folder.record ?? folder.checkpoint;
}

/** Where an unfinished run stands, for messages. */
export function describeUnfinished(folder: TrainFolder): string {
  if (folder.damaged) return "its checkpoint is damaged";
  if (folder.checkpoint) return `checkpoint at ${describePlace(folder.checkpoint.position)}`;
  return "no checkpoint yet";
}

/**
 * A run into a folder holding a finished model: fine when that model is
 * what this run would train (the same spec, data and options), so a rerun
 * of a command that already completed has nothing to do. Otherwise throws,
 * saying how the runs differ and that --force replaces the model.
 */
export function checkSameFinishedRun(folder: TrainFolder, now: RunDescription<RecordedData>): RunRecord {
  const record = folder.record;
  if (!record) throw finishedModelError(folder.out, "with no record of the run that trained it");
  const differences = finishedRunDifferences(record, now, "the finished run");
  if (differences.length > 0) throw finishedModelError(folder.out, `trained by another run (${differences.slice(0, 3).join("; ")})`);
  return record;
}

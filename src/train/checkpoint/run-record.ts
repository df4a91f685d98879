/**
 * OUT/run.json: how the run in a --out folder was started, written when it
 * starts, before anything is read or trained, so that `mtl train --resume OUT`
 * can continue (from step 0 when there is no checkpoint yet) a run that was
 * killed at any moment. It holds the spec's text and IR (with the
 * command-line overrides), the run's settings, and the paths of the data
 * made absolute, so a resume from another working folder reads the same
 * files. Written atomically (temp file, fsync, rename): a kill leaves the
 * previous record or the new one, never a torn file.
 *
 * When the model is saved, the record is written again with the training
 * data's size and SHA-256 and listed in the model's manifest: the finished
 * folder then says which data and options made it, which is how a rerun of
 * the same command knows there is nothing to do (train-folder.ts).
 */
import { parseJsonText } from "../../data/readers/json-syntax.js";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { loadIr } from "../../ir/upgrade.js";
import { firstProblem } from "../../ir/validate.js";
import { syncDirectory, writeFileAtomic } from "../../util/atomic-write.js";
import type { RecordedData, RunDescription } from "./format.js";
import { CheckpointError } from "../../errors.js";

export const RUN_RECORD = "run.json";

const FORMAT = "mtl-run";
const VERSION = 1;

export interface RunRecord extends RunDescription<RecordedData> {
  format: typeof FORMAT;
  version: typeof VERSION;
  /** When the invocation that wrote it started (ISO 8601). */
  started: string;
  /** When the model was saved: only in the record a finished model keeps. */
  finished?: string;
}

export function runRecordPath(out: string): string {
  return join(out, RUN_RECORD);
}

export function runRecord(run: RunDescription<RecordedData>, times: Pick<RunRecord, "started" | "finished">): RunRecord {
  return { format: FORMAT, version: VERSION, ...times, ...run };
}

export function runRecordText(record: RunRecord): string {
  return JSON.stringify(record, null, 2) + "\n";
}

/** Writes the record atomically and makes its rename durable. Throws the raw system error. */
export function writeRunRecord(out: string, record: RunRecord): void {
  mkdirSync(out, { recursive: true });
  writeFileAtomic(runRecordPath(out), runRecordText(record));
  syncDirectory(out);
}

/** Best effort: a record left behind only makes the next fresh run ask for --resume or --force. */
export function removeRunRecord(out: string): void {
  try {
    rmSync(runRecordPath(out), { force: true });
  } catch {
    // See above.
  }
}

/** The folder's run record; null when there is none. Throws a CheckpointError naming the file when it is damaged. */
export function readRunRecord(out: string): RunRecord | null {
  const path = runRecordPath(out);
  if (!existsSync(path)) return null;
  let record: RunRecord;
  try {
    record = parseJsonText(readFileSync(path, "utf8")) as RunRecord;
  } catch (error) {
    throw damaged(path, `cannot be read (${(error as Error).message})`);
  }
  const problem = recordProblem(record);
  if (problem) throw damaged(path, problem);
  return record;
}

function damaged(path: string, problem: string): CheckpointError {
  return new CheckpointError(`${path} ${problem}: it was altered or written by another mtl version; train again with --force to start afresh`);
}

function recordProblem(record: RunRecord): string | null {
  if (record?.format !== FORMAT) return "is not an mtl run record";
  if (record.version !== VERSION) return `has version ${String(record.version)}; this mtl reads version ${VERSION}`;
  const run = record.run;
  const whole = (n: unknown) => Number.isInteger(n) && (n as number) >= 0;
  const complete =
    typeof record.spec === "string" &&
    typeof record.irHash === "string" &&
    typeof run?.data?.file === "string" &&
    typeof run.read?.format === "string" &&
    whole(run.shuffleBuffer) &&
    whole(run.skipBadRows) &&
    whole(run.checkpointEvery) &&
    (run.checkpointSeconds === undefined || (typeof run.checkpointSeconds === "number" && run.checkpointSeconds >= 0)) &&
    (run.maxSteps === null || whole(run.maxSteps));
  if (!complete) return "is incomplete";
  const loaded = loadIr(record.ir);
  if (!loaded.ok) return `holds an invalid IR (${firstProblem(loaded.problems)})`;
  record.ir = loaded.ir;
  return null;
}

/**
 * Whether a checkpoint may be resumed by the run at hand: same model, same
 * training settings, same rows read the same way. Differences are described
 * path by path ("train.optimizer.lr is 0.001 in the checkpoint but 0.01
 * now") so the user sees what changed.
 *
 * Never compared: doc comments and the model's description (they change no
 * number), the spec's data section (the read options actually used are
 * compared instead), and train.epochs, which only says where to stop: no
 * learning-rate schedule depends on it, so resuming with more epochs gives
 * exactly the run that had that many from the start.
 *
 * With `acceptChanges` (--accept-changes), the optimiser's hyper-parameters
 * (not its type, whose slots differ), train.l2 and the data file's content
 * may differ: the escape hatch after a NaN loss, to resume from the last good
 * checkpoint with a lower learning rate or a fixed row.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { resolve } from "node:path";
import type { ValidIR } from "../../ir/types.js";
import type { CheckpointRun, DataFingerprint, RecordedData, RunDescription } from "./format.js";

/** The IR as compared and hashed: without docs, description, data section and epochs. */
function comparableIr(ir: ValidIR): unknown {
  const { data: _data, model, train, ...rest } = ir;
  const { epochs: _epochs, ...trainRest } = train;
  return withoutDocs({ ...rest, model: { name: model.name }, train: trainRest });
}

function withoutDocs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutDocs);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).filter(([k]) => k !== "doc").map(([k, v]) => [k, withoutDocs(v)]));
}

/** SHA-256 of the comparable IR in a canonical form (keys sorted). */
export function irHash(ir: ValidIR): string {
  return createHash("sha256").update(canonicalJson(comparableIr(ir))).digest("hex");
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

/** Size and SHA-256 of a data file, streamed (data files may exceed memory). */
export async function fingerprintDataFile(file: string): Promise<DataFingerprint> {
  const hash = createHash("sha256");
  let bytes = 0;
  // 1 MiB reads, not the default 64 KiB: a turn of the event loop per read cost more than the hashing (measured).
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    bytes += (chunk as Buffer).length;
    hash.update(chunk as Buffer);
  }
  return { file: resolve(file), bytes, sha256: hash.digest("hex") };
}

export interface ResumeCheck {
  /** Differences that forbid resuming. */
  refused: string[];
  /** Differences allowed only with --accept-changes (refused without it). */
  changeable: string[];
}

/** The part of a run a resume compares (the data by content, when both sides have read it). */
export type ComparedRun = Pick<RunDescription<RecordedData>, "ir"> & { run: Pick<CheckpointRun<RecordedData>, "data" | "read" | "shuffleBuffer"> };

/** How the run at hand differs from the one `then` describes (a checkpoint's meta, or a run record: `source` names it). */
export function compareWithCheckpoint(then: ComparedRun, now: ComparedRun, source = "the checkpoint"): ResumeCheck {
  const refused: string[] = [];
  const changeable: string[] = [];
  if (irHash(now.ir) !== irHash(then.ir)) {
    for (const d of differences(comparableIr(then.ir), comparableIr(now.ir), "", 8)) {
      const text = `${d.path} is ${show(d.then)} in ${source} but ${show(d.now)} now`;
      const tunable = (d.path.startsWith("train.optimizer.") && d.path !== "train.optimizer.type") || d.path === "train.l2";
      (tunable ? changeable : refused).push(text);
    }
  }
  refused.push(...settingDifferences(then.run, now.run, source));
  const data = dataDifference(then.run.data, now.run.data, source);
  if (data) changeable.push(data);
  return { refused, changeable };
}

/**
 * How the run at hand differs from the one that trained a finished model, in
 * anything that changes the model folder: all `compareWithCheckpoint`
 * compares, and the epochs, --max-steps and the validation data. Empty when
 * training again would write the same model.
 */
export function finishedRunDifferences(then: RunDescription<RecordedData>, now: RunDescription<RecordedData>, source: string): string[] {
  const check = compareWithCheckpoint(then, now, source);
  const found = [...check.refused, ...check.changeable];
  const pairs: [string, unknown, unknown][] = [
    ["train.epochs", then.ir.train.epochs, now.ir.train.epochs],
    ["--max-steps", then.run.maxSteps, now.run.maxSteps],
  ];
  for (const [name, a, b] of pairs) {
    if (canonicalJson(a) !== canonicalJson(b)) found.push(`${name} is ${show(a ?? "absent")} in ${source} but ${show(b ?? "absent")} now`);
  }
  const [valid, validNow] = [then.run.valid, now.run.valid];
  if (canonicalJson(valid) !== canonicalJson(validNow)) {
    // Named by its file (the read options, a long object, only when the file is the same).
    found.push(
      valid?.file === validNow?.file
        ? differences(valid?.read, validNow?.read, "--valid read options", 1).map((d) => `the ${d.path} are ${show(d.then)} in ${source} but ${show(d.now)} now`)[0]!
        : `--valid is ${valid ? valid.file : "absent"} in ${source} but ${validNow ? validNow.file : "absent"} now`,
    );
  }
  return found;
}

function settingDifferences(then: ComparedRun["run"], now: ComparedRun["run"], source: string): string[] {
  const found = differences(then.read, now.read, "read options", 4).map((d) => `the ${d.path} are ${show(d.then)} in ${source} but ${show(d.now)} now`);
  if (then.shuffleBuffer !== now.shuffleBuffer) {
    found.push(`--shuffle-buffer is ${then.shuffleBuffer} in ${source} but ${now.shuffleBuffer} now (it fixes the order of the rows)`);
  }
  return found;
}

/**
 * The training data's difference, by size and SHA-256. A side that has not
 * read its data yet (a run record written at the start) cannot differ: the
 * path alone says nothing of the rows, and a file may move between runs.
 */
function dataDifference(then: RecordedData, now: RecordedData, source: string): string | null {
  if (then.sha256 === undefined || now.sha256 === undefined) return null;
  if (then.sha256 === now.sha256 && then.bytes === now.bytes) return null;
  return `the training data differ: ${now.file} has ${now.bytes} bytes (SHA-256 ${now.sha256.slice(0, 12)}...), ${source} was taken on ${then.file} with ${then.bytes} bytes (SHA-256 ${then.sha256.slice(0, 12)}...)`;
}

interface Difference {
  path: string;
  then: unknown;
  now: unknown;
}

/** Up to `limit` leaf differences; array elements are named by their `name` when they have one. */
function differences(then: unknown, now: unknown, path: string, limit: number, out: Difference[] = []): Difference[] {
  if (out.length >= limit || Object.is(then, now)) return out;
  const objects = then !== null && now !== null && typeof then === "object" && typeof now === "object" && Array.isArray(then) === Array.isArray(now);
  if (!objects || (Array.isArray(then) && Array.isArray(now) && then.length !== now.length)) {
    out.push({ path: path || "the spec", then, now });
    return out;
  }
  const a = then as Record<string, unknown>;
  const b = now as Record<string, unknown>;
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const name = Array.isArray(then) ? ((a[key] as { name?: unknown } | null)?.name ?? key) : key;
    const child = Array.isArray(then) ? `${path}[${String(name)}]` : path ? `${path}.${key}` : key;
    differences(a[key], b[key], child, limit, out);
  }
  return out;
}

function show(value: unknown): string {
  const text = value === undefined ? "absent" : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

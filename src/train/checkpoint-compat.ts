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
import type { ModelIR } from "../ir/types.js";
import type { CheckpointMeta, CheckpointRun, DataFingerprint } from "./checkpoint-format.js";

/** The IR as compared and hashed: without docs, description, data section and epochs. */
function comparableIr(ir: ModelIR): unknown {
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
export function irHash(ir: ModelIR): string {
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
  for await (const chunk of createReadStream(file)) {
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

/** How the run at hand differs from the one that wrote `meta`. */
export function compareWithCheckpoint(meta: CheckpointMeta, now: { ir: ModelIR; run: Pick<CheckpointRun, "data" | "read" | "shuffleBuffer"> }): ResumeCheck {
  const refused: string[] = [];
  const changeable: string[] = [];
  if (irHash(now.ir) !== meta.irHash) {
    for (const d of differences(comparableIr(meta.ir), comparableIr(now.ir), "", 8)) {
      const text = `${d.path} is ${show(d.then)} in the checkpoint but ${show(d.now)} now`;
      const tunable = (d.path.startsWith("train.optimizer.") && d.path !== "train.optimizer.type") || d.path === "train.l2";
      (tunable ? changeable : refused).push(text);
    }
  }
  const read = differences(meta.run.read, now.run.read, "read options", 4);
  refused.push(...read.map((d) => `the ${d.path} are ${show(d.then)} in the checkpoint but ${show(d.now)} now`));
  if (meta.run.shuffleBuffer !== now.run.shuffleBuffer) {
    refused.push(`--shuffle-buffer is ${meta.run.shuffleBuffer} in the checkpoint but ${now.run.shuffleBuffer} now (it fixes the order of the rows)`);
  }
  const then = meta.run.data;
  const data = now.run.data;
  if (then.sha256 !== data.sha256 || then.bytes !== data.bytes) {
    changeable.push(
      `the training data differ: ${data.file} has ${data.bytes} bytes (SHA-256 ${data.sha256.slice(0, 12)}...), the checkpoint was taken on ${then.file} with ${then.bytes} bytes (SHA-256 ${then.sha256.slice(0, 12)}...)`,
    );
  }
  return { refused, changeable };
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

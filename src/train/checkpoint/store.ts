/**
 * The checkpoint folder, OUT/checkpoint/:
 *
 *   arrays.<sha>.bin      weights, optimiser slots, sparse table slots (format.ts)
 *   meta.<sha>.json       position, run settings, IR, spec, array index
 *   encoding.<sha>.json   the fitted encoding state (serializeEncoding)
 *   manifest.json         size and SHA-256 of the three files above; written last
 *
 * Each content file is named by the first 16 hex digits of its SHA-256, so a
 * new checkpoint never overwrites a file the current manifest lists. Saving
 * writes the four files together (writeFilesAtomic: each to a temp file, all
 * fsynced at once, then renamed in order), the manifest last, so its rename
 * commits the new checkpoint; then syncs the folder and deletes the previous
 * checkpoint's files. Five fsyncs one after another took 34 ms a checkpoint
 * of the MMoE synthetic model, the four files' at once and the folder's 19
 * (medians, loaded machine). A process killed at any moment leaves the old
 * checkpoint or the new one complete, plus at most some temp files and
 * unlisted files, which the next save (or resume) removes. So the folder holds at most the last checkpoint and the
 * one being written; once the model is saved, the folder is deleted.
 */
import { parseJsonText } from "../../data/readers/json-syntax.js";
import { existsSync, mkdirSync, readdirSync, rmdirSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseEncoding, serializeEncoding } from "../../data/encode/index.js";
import { loadIr } from "../../ir/upgrade.js";
import { firstProblem } from "../../ir/validate.js";
import { removeStaleTempFiles, syncDirectory, writeFilesAtomic } from "../../util/atomic-write.js";
import { CHECKPOINT_VERSION, packArrays, unpackArrays, type Checkpoint, type CheckpointMeta } from "./format.js";
import { CHECKPOINT_MANIFEST, checkpointManifestText, readCheckpointFiles } from "./manifest.js";
import { CheckpointError } from "../../errors.js";
import { fingerprintBytes, MAX_MANIFEST_BYTES, type FileFingerprint, type FileManifest } from "../../model-dir/file-manifest.js";
import { readRegularFile } from "../../util/regular-file.js";

/** The checkpoint folder's name inside the --out folder. */
export const CHECKPOINT_FOLDER = "checkpoint";

const CONTENT_FILE = /^(arrays|meta|encoding)\.[0-9a-f]{16}\.(bin|json)$/;

export function checkpointDir(out: string): string {
  return join(out, CHECKPOINT_FOLDER);
}

/** How files get written; tests inject failures (a full disk) here. */
export interface CheckpointIo {
  /** Writes the files as writeFilesAtomic does: each atomically, renamed in the order given. */
  writeFiles(files: readonly (readonly [string, Uint8Array])[]): Promise<void>;
}

export const defaultCheckpointIo: CheckpointIo = { writeFiles: (files) => writeFilesAtomic(files) };

/** What saveCheckpoint takes: the meta's array index is made while packing. */
export type CheckpointToSave = Omit<Checkpoint, "meta"> & { meta: Omit<CheckpointMeta, "arrays"> };

/** True when `dir` has a committed checkpoint (its manifest), damaged or not. */
export function hasCheckpoint(dir: string): boolean {
  return existsSync(join(dir, CHECKPOINT_MANIFEST));
}

/**
 * Writes `checkpoint` into `dir` and commits it (see above). On failure the
 * previous checkpoint is untouched and the raw error (ENOSPC, EACCES, ...)
 * is thrown after removing what this attempt wrote; checkpoint-errors.ts
 * turns it into a message.
 */
export async function saveCheckpoint(dir: string, checkpoint: CheckpointToSave, io: CheckpointIo = defaultCheckpointIo): Promise<void> {
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true });
    syncDirectory(dirname(dir));
  }
  const { bytes: arrays, entries } = packArrays(checkpoint.state);
  const meta: CheckpointMeta = { ...checkpoint.meta, arrays: entries };
  const contents = [
    contentFile("arrays", "bin", arrays),
    contentFile("encoding", "json", Buffer.from(serializeEncoding(checkpoint.encoding), "utf8")),
    contentFile("meta", "json", Buffer.from(JSON.stringify(meta) + "\n", "utf8")),
  ];
  const manifest = Buffer.from(checkpointManifestText(Object.fromEntries(contents.map((c) => [c.name, c.fingerprint]))), "utf8");
  const listed = new Set(committedFiles(dir));
  try {
    await io.writeFiles([...contents.map((c) => [join(dir, c.name), c.bytes] as const), [join(dir, CHECKPOINT_MANIFEST), manifest]]);
  } catch (error) {
    // Free what this attempt wrote (a full disk stays no fuller), never what the committed manifest lists.
    for (const { name } of contents) if (!listed.has(name)) rmSync(join(dir, name), { force: true });
    throw error;
  }
  syncDirectory(dir);
  removeUncommitted(dir);
}

/** A content file: named by its hash, which the manifest lists too (hashed once: the arrays may be gigabytes). */
function contentFile(kind: string, extension: string, bytes: Uint8Array): { name: string; bytes: Uint8Array; fingerprint: FileFingerprint } {
  const fingerprint = fingerprintBytes(bytes);
  return { name: `${kind}.${fingerprint.sha256.slice(0, 16)}.${extension}`, bytes, fingerprint };
}

/** The files the committed manifest lists; none when it is missing or unreadable. */
function committedFiles(dir: string): string[] {
  try {
    const manifest = JSON.parse(readRegularFile(join(dir, CHECKPOINT_MANIFEST), MAX_MANIFEST_BYTES).toString("utf8")) as { files?: Record<string, unknown> };
    return Object.keys(manifest.files ?? {});
  } catch {
    return [];
  }
}

/**
 * Deletes what no committed checkpoint needs: the previous checkpoint's
 * files, and the files and temp files of writes that were killed. Best
 * effort: a file left here only costs space, the next save tries again.
 */
export function removeUncommitted(dir: string): void {
  try {
    removeStaleTempFiles(dir);
    const listed = new Set(committedFiles(dir));
    for (const name of readdirSync(dir)) {
      if (CONTENT_FILE.test(name) && !listed.has(name)) rmSync(join(dir, name), { force: true });
    }
  } catch {
    // See above.
  }
}

/**
 * Deletes the checkpoint once the model is saved. The manifest goes first,
 * so a process killed half-way leaves no committed checkpoint, only files
 * that the next run removes. Best effort: a file left here only costs space.
 */
export function removeCheckpoint(dir: string): void {
  try {
    rmSync(join(dir, CHECKPOINT_MANIFEST), { force: true });
    syncDirectory(dir);
    removeUncommitted(dir);
    rmdirSync(dir);
  } catch {
    // See above.
  }
}

/** Reads and checks the checkpoint in `dir`. Throws a CheckpointError naming the file and the fix. */
export function loadCheckpoint(dir: string): Checkpoint {
  // Every file read once, as checked (the arrays are the largest: weights and optimiser slots).
  const { meta, manifest, files } = readMeta(dir, () => true);
  const names = Object.keys(manifest.files);
  const encodingName = onlyFile(dir, names, "encoding");
  const encodingPath = join(dir, encodingName);
  let encoding;
  try {
    encoding = parseEncoding(files.get(encodingName)!.toString("utf8"), meta.ir);
  } catch (error) {
    if (error instanceof CheckpointError) throw error;
    throw new CheckpointError(`${encodingPath}: ${(error as Error).message}; train again with --force to start afresh`);
  }
  const arraysName = onlyFile(dir, names, "arrays");
  const arraysPath = join(dir, arraysName);
  try {
    return { meta, encoding, state: unpackArrays(files.get(arraysName)!, meta) };
  } catch (error) {
    if (error instanceof CheckpointError) throw error;
    throw new CheckpointError(`${arraysPath} does not fit its meta file: ${(error as Error).message}; train again with --force to start afresh`);
  }
}

/** The checkpoint's meta, after checking every file against the manifest (the others hashed, not kept). */
export function readCheckpointMeta(dir: string): CheckpointMeta {
  return readMeta(dir, (name) => name.startsWith("meta.")).meta;
}

/** The meta, the manifest and the files `keep` selects (the meta is always kept), every file checked. */
function readMeta(dir: string, keep: (name: string) => boolean): { meta: CheckpointMeta; manifest: FileManifest; files: Map<string, Buffer> } {
  if (!existsSync(dir) || !statSync(dir).isDirectory() || !hasCheckpoint(dir)) {
    throw new CheckpointError(`there is no checkpoint in ${dir} (no ${CHECKPOINT_MANIFEST}): the run saved none yet`);
  }
  const { manifest, files } = readCheckpointFiles(dir, (name) => name.startsWith("meta.") || keep(name));
  const metaName = onlyFile(dir, Object.keys(manifest.files), "meta");
  const metaPath = join(dir, metaName);
  let meta: CheckpointMeta;
  try {
    meta = parseJsonText(files.get(metaName)!.toString("utf8")) as CheckpointMeta;
  } catch (error) {
    if (error instanceof CheckpointError) throw error;
    throw new CheckpointError(`${metaPath} cannot be read (${(error as Error).message}); train again with --force to start afresh`);
  }
  const problem = metaProblem(meta);
  if (problem) throw new CheckpointError(`${metaPath} ${problem}; train again with --force to start afresh`);
  return { meta, manifest, files };
}

function onlyFile(dir: string, files: string[], kind: string): string {
  const matches = files.filter((f) => f.startsWith(`${kind}.`) && CONTENT_FILE.test(f));
  if (matches.length !== 1) {
    throw new CheckpointError(`${join(dir, CHECKPOINT_MANIFEST)} lists ${matches.length} ${kind} files, expected 1: the checkpoint was assembled by hand or altered; train again with --force to start afresh`);
  }
  return matches[0]!;
}

/** What is wrong with a parsed meta file, or null. */
function metaProblem(meta: CheckpointMeta): string | null {
  if (meta?.format !== "mtl-checkpoint") return "is not an mtl checkpoint meta file";
  if (meta.version !== CHECKPOINT_VERSION) return `has version ${String(meta.version)}; this mtl reads version ${CHECKPOINT_VERSION} (it was written by another mtl version)`;
  const p = meta.position;
  const whole = (n: unknown, min: number) => Number.isInteger(n) && (n as number) >= min;
  if (!p || !whole(p.steps, 0) || !whole(p.epoch, 1) || !whole(p.batch, 0) || typeof p.epochComplete !== "boolean") return "has no valid position";
  if (!meta.run?.data || typeof meta.run.data.sha256 !== "string" || !whole(meta.run.checkpointEvery, 0) || !Array.isArray(meta.arrays) || typeof meta.spec !== "string") return "is incomplete";
  // An older IR is upgraded and, like every IR mtl reads, passes the gate.
  const loaded = loadIr(meta.ir);
  if (!loaded.ok) return `holds an invalid IR (${firstProblem(loaded.problems)}); it was written by another mtl version`;
  meta.ir = loaded.ir;
  return null;
}

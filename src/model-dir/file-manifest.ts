/**
 * The integrity manifest of a folder: manifest.json lists the byte size and
 * SHA-256 of every file. Writers write it last and atomically, so its rename
 * commits the folder; readers check every listed file against it, so a torn,
 * truncated or altered file is refused instead of read.
 *
 * Model folders (model-dir/folder.ts) and checkpoint folders (train/checkpoint/manifest.ts)
 * both use it. They differ in the format tag, so a manifest of one is never
 * taken for the other, and in what they tell the user, so problems go to the
 * caller's reporter as data and the caller words the error and the fix.
 */
import { parseJsonText } from "../data/readers/json-syntax.js";
import { createHash } from "node:crypto";
import { closeSync, readSync } from "node:fs";
import { basename, join } from "node:path";
export { MANIFEST, manifestText, type FileFingerprint, type FileManifest } from "./manifest-text.js";
import { MANIFEST, MANIFEST_VERSION, type FileFingerprint, type FileManifest } from "./manifest-text.js";
import { FileTooLargeError, hashOpenFile, NotRegularFileError, openRegularFile, readRegularFile, type RegularFile } from "../util/regular-file.js";

/**
 * The most manifest.json may hold before it is parsed: a real one lists a
 * handful of files in about 100 bytes each, so this leaves room for
 * thousands while never reading a replaced file without bound.
 */
export const MAX_MANIFEST_BYTES = 1 << 20;

/**
 * What is wrong, and where: `path` is manifest.json for the first three
 * kinds, the listed file for the others.
 */
export type ManifestProblem =
  | { kind: "unreadable"; path: string; reason: string }
  | { kind: "malformed"; path: string }
  | { kind: "outside-folder"; path: string; name: string }
  | { kind: "missing"; path: string }
  | { kind: "not-regular"; path: string; what: string }
  | { kind: "wrong-size"; path: string; bytes: number; expected: number }
  | { kind: "wrong-hash"; path: string };

/** Returns the error to throw for a problem. */
export type ManifestReporter = (problem: ManifestProblem) => Error;

export function fingerprintBytes(data: Uint8Array): FileFingerprint {
  return { bytes: data.byteLength, sha256: createHash("sha256").update(data).digest("hex") };
}

/**
 * Reads `dir`'s manifest and checks its shape, its format tag, and that every
 * listed name is a plain file name, before any listed file is opened, so an
 * altered manifest cannot send a reader outside the folder. A missing
 * manifest is reported as unreadable: callers that can say why it is missing
 * check for it first.
 */
export function readManifest(dir: string, format: string, report: ManifestReporter): FileManifest {
  const path = join(dir, MANIFEST);
  let manifest: FileManifest;
  try {
    manifest = parseJsonText(readRegularFile(path, MAX_MANIFEST_BYTES).toString("utf8")) as FileManifest;
  } catch (error) {
    if (error instanceof NotRegularFileError) throw report({ kind: "not-regular", path, what: error.what });
    const reason = error instanceof FileTooLargeError ? `it is larger than the ${MAX_MANIFEST_BYTES / (1 << 20)} MiB a manifest may have` : (error as Error).message;
    throw report({ kind: "unreadable", path, reason });
  }
  if (!wellFormed(manifest, format)) throw report({ kind: "malformed", path });
  for (const name of Object.keys(manifest.files)) {
    if (!isPlainFileName(name)) throw report({ kind: "outside-folder", path, name });
  }
  return manifest;
}

/**
 * Checks every file `manifest` lists, in its order: a regular file of the
 * folder itself (no link, FIFO or device), of the listed size (compared
 * before reading), with the listed SHA-256. Returns the bytes of the files
 * `keep` selects (all by default), each read once into a buffer of exactly
 * its listed size and hashed there, so what the caller uses is what was
 * checked (a file read again later could have been replaced) and a large
 * weights file is neither read twice nor copied; the others are hashed as a
 * stream, never held whole.
 */
export function readListedFiles(dir: string, manifest: FileManifest, report: ManifestReporter, keep: (name: string) => boolean = () => true): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const [name, expected] of Object.entries(manifest.files)) {
    const path = join(dir, name);
    const file = openListed(path, expected, report);
    try {
      if (keep(name)) {
        const bytes = readExactly(file.fd, expected.bytes, path, report);
        if (fingerprintBytes(bytes).sha256 !== expected.sha256) throw report({ kind: "wrong-hash", path });
        files.set(name, bytes);
      } else if (hashOpenFile(file.fd).sha256 !== expected.sha256) {
        throw report({ kind: "wrong-hash", path });
      }
    } finally {
      closeSync(file.fd);
    }
  }
  return files;
}

/** The `size` bytes of an open file, in a buffer of its own (offset 0, nothing more), refused if the file now has fewer or more. */
function readExactly(fd: number, size: number, path: string, report: ManifestReporter): Buffer {
  const bytes = Buffer.allocUnsafeSlow(size);
  for (let at = 0; at < size; ) {
    const n = readSync(fd, bytes, at, Math.min(READ_CHUNK, size - at), null);
    if (n === 0) throw report({ kind: "wrong-size", path, bytes: at, expected: size });
    at += n;
  }
  if (readSync(fd, Buffer.allocUnsafe(1), 0, 1, null) !== 0) throw report({ kind: "unreadable", path, reason: "it grew while being read" });
  return bytes;
}

/** readSync reads at most 2 GiB a call. */
const READ_CHUNK = 1 << 30;

/** Opens a listed file if it is a regular file of the listed size. */
function openListed(path: string, expected: FileFingerprint, report: ManifestReporter): RegularFile {
  let file: RegularFile;
  try {
    file = openRegularFile(path);
  } catch (error) {
    if (error instanceof NotRegularFileError) throw report({ kind: "not-regular", path, what: error.what });
    if ((error as NodeJS.ErrnoException).code === "ENOENT") throw report({ kind: "missing", path });
    throw report({ kind: "unreadable", path, reason: (error as Error).message });
  }
  if (file.size !== expected.bytes) {
    closeSync(file.fd);
    throw report({ kind: "wrong-size", path, bytes: file.size, expected: expected.bytes });
  }
  return file;
}

function wellFormed(manifest: FileManifest, format: string): boolean {
  const files = manifest?.files as unknown;
  return (
    manifest?.format === format &&
    manifest.version === MANIFEST_VERSION &&
    files !== null &&
    typeof files === "object" &&
    !Array.isArray(files) &&
    Object.values(files as Record<string, unknown>).every((f) => {
      const entry = f as Partial<FileFingerprint> | null;
      return entry !== null && typeof entry === "object" && Number.isInteger(entry.bytes) && typeof entry.sha256 === "string";
    })
  );
}

/** "" would name the folder itself; a backslash is a separator on Windows even where basename ignores it. */
function isPlainFileName(name: string): boolean {
  return name !== "" && name !== "." && name !== ".." && !name.includes("\\") && basename(name) === name;
}

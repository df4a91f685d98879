/**
 * The integrity manifest of a folder: manifest.json lists the byte size and
 * SHA-256 of every file. Writers write it last and atomically, so its rename
 * commits the folder; readers check every listed file against it, so a torn,
 * truncated or altered file is refused instead of read.
 *
 * Model folders (model-dir.ts) and checkpoint folders (checkpoint-manifest.ts)
 * both use it. They differ in the format tag, so a manifest of one is never
 * taken for the other, and in what they tell the user, so problems go to the
 * caller's reporter as data and the caller words the error and the fix.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";

export const MANIFEST = "manifest.json";

/** The layout of manifest.json itself, the same for every format tag; folders already on disk say 1. */
const VERSION = 1;

export interface FileFingerprint {
  bytes: number;
  sha256: string;
}

export interface FileManifest {
  format: string;
  version: typeof VERSION;
  files: Record<string, FileFingerprint>;
}

/**
 * What is wrong, and where: `path` is manifest.json for the first three
 * kinds, the listed file for the others.
 */
export type ManifestProblem =
  | { kind: "unreadable"; path: string; reason: string }
  | { kind: "malformed"; path: string }
  | { kind: "outside-folder"; path: string; name: string }
  | { kind: "missing"; path: string }
  | { kind: "wrong-size"; path: string; bytes: number; expected: number }
  | { kind: "wrong-hash"; path: string };

/** Returns the error to throw for a problem. */
export type ManifestReporter = (problem: ManifestProblem) => Error;

export function fingerprintBytes(data: Uint8Array): FileFingerprint {
  return { bytes: data.byteLength, sha256: createHash("sha256").update(data).digest("hex") };
}

export function manifestText(format: string, files: Record<string, FileFingerprint>): string {
  const manifest: FileManifest = { format, version: VERSION, files };
  return JSON.stringify(manifest, null, 2) + "\n";
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
    manifest = JSON.parse(readFileSync(path, "utf8")) as FileManifest;
  } catch (error) {
    throw report({ kind: "unreadable", path, reason: (error as Error).message });
  }
  if (!wellFormed(manifest, format)) throw report({ kind: "malformed", path });
  for (const name of Object.keys(manifest.files)) {
    if (!isPlainFileName(name)) throw report({ kind: "outside-folder", path, name });
  }
  return manifest;
}

/** Checks every file `manifest` lists against its size, then its SHA-256. */
export function verifyListedFiles(dir: string, manifest: FileManifest, report: ManifestReporter): void {
  for (const [name, expected] of Object.entries(manifest.files)) {
    const path = join(dir, name);
    if (!existsSync(path)) throw report({ kind: "missing", path });
    const actual = fingerprintBytes(readFileSync(path));
    if (actual.bytes !== expected.bytes) throw report({ kind: "wrong-size", path, bytes: actual.bytes, expected: expected.bytes });
    if (actual.sha256 !== expected.sha256) throw report({ kind: "wrong-hash", path });
  }
}

function wellFormed(manifest: FileManifest, format: string): boolean {
  const files = manifest?.files as unknown;
  return (
    manifest?.format === format &&
    manifest.version === VERSION &&
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

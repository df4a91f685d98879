/**
 * The manifest of a checkpoint folder: the size and SHA-256 of every file of
 * the checkpoint. It is written last, atomically, so its rename is the commit
 * point: until then the previous manifest (and the files it lists, which a
 * new checkpoint never overwrites) is the checkpoint. Loading checks every
 * listed file against it, so a torn, truncated or altered file is refused.
 *
 * The same scheme as model folders (model-dir.ts), kept separate because the
 * two folders list different files and say different things on failure.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { CheckpointError } from "./errors.js";

export const CHECKPOINT_MANIFEST = "manifest.json";

export interface FileFingerprint {
  bytes: number;
  sha256: string;
}

export interface CheckpointManifest {
  format: "mtl-checkpoint";
  version: 1;
  files: Record<string, FileFingerprint>;
}

export function fingerprintBytes(data: Uint8Array): FileFingerprint {
  return { bytes: data.byteLength, sha256: createHash("sha256").update(data).digest("hex") };
}

export function manifestText(files: Record<string, FileFingerprint>): string {
  const manifest: CheckpointManifest = { format: "mtl-checkpoint", version: 1, files };
  return JSON.stringify(manifest, null, 2) + "\n";
}

/** What to do about a damaged checkpoint: there is no older one to fall back on. */
const damaged = (dir: string) => `delete ${dir} and train again without --resume`;

/**
 * Reads `dir`'s manifest and checks every file it lists; returns the
 * manifest. Throws a CheckpointError naming the file and the fix. A missing
 * manifest is not checked here (see hasCheckpoint).
 */
export function verifyCheckpointFiles(dir: string): CheckpointManifest {
  const path = join(dir, CHECKPOINT_MANIFEST);
  let manifest: CheckpointManifest;
  try {
    manifest = JSON.parse(readFileSync(path, "utf8")) as CheckpointManifest;
  } catch (error) {
    throw new CheckpointError(`${path} cannot be read (${(error as Error).message}): the checkpoint is damaged; ${damaged(dir)}`);
  }
  if (!wellFormed(manifest)) throw new CheckpointError(`${path} is not an mtl checkpoint manifest: the checkpoint is damaged; ${damaged(dir)}`);
  for (const [name, expected] of Object.entries(manifest.files)) {
    if (basename(name) !== name || name === "." || name === ".." || name.includes("\\")) {
      throw new CheckpointError(`${path} lists '${name}', which is not a file of the folder: the manifest was altered; ${damaged(dir)}`);
    }
    const file = join(dir, name);
    if (!existsSync(file)) throw new CheckpointError(`${file} is missing: the checkpoint is incomplete; ${damaged(dir)}`);
    const actual = fingerprintBytes(readFileSync(file));
    if (actual.bytes !== expected.bytes) {
      throw new CheckpointError(`${file} has ${actual.bytes} bytes, ${CHECKPOINT_MANIFEST} says ${expected.bytes}: the file is truncated or was replaced; ${damaged(dir)}`);
    }
    if (actual.sha256 !== expected.sha256) {
      throw new CheckpointError(`${file} does not match its SHA-256 in ${CHECKPOINT_MANIFEST}: the file was altered or corrupted; ${damaged(dir)}`);
    }
  }
  return manifest;
}

function wellFormed(manifest: CheckpointManifest): boolean {
  const files = manifest?.files as unknown;
  return (
    manifest?.format === "mtl-checkpoint" &&
    manifest.version === 1 &&
    files !== null &&
    typeof files === "object" &&
    !Array.isArray(files) &&
    Object.values(files as Record<string, unknown>).every((f) => {
      const entry = f as Partial<FileFingerprint> | null;
      return entry !== null && typeof entry === "object" && Number.isInteger(entry.bytes) && typeof entry.sha256 === "string";
    })
  );
}

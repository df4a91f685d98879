/**
 * The manifest of a checkpoint folder (file-manifest.ts), written last so its
 * rename is the commit point: until then the previous manifest (and the files
 * it lists, which a new checkpoint never overwrites) is the checkpoint.
 */
import { CheckpointError } from "../../errors.js";
import { MANIFEST, manifestText, readListedFiles, readManifest, type FileFingerprint, type FileManifest, type ManifestProblem } from "../../model-dir/file-manifest.js";

export const CHECKPOINT_MANIFEST = MANIFEST;

/** Distinct from model folders' tag, so a model's manifest is never taken for a checkpoint. */
const FORMAT = "mtl-checkpoint";

export function checkpointManifestText(files: Record<string, FileFingerprint>): string {
  return manifestText(FORMAT, files);
}

/**
 * Reads `dir`'s manifest and checks every file it lists; returns the
 * manifest and, as checked, the files `keep` selects (readListedFiles).
 * Throws a CheckpointError naming the file and the fix. A missing manifest
 * is not checked here (see hasCheckpoint).
 */
export function readCheckpointFiles(dir: string, keep: (name: string) => boolean): { manifest: FileManifest; files: Map<string, Buffer> } {
  const manifest = readManifest(dir, FORMAT, reporter());
  return { manifest, files: readListedFiles(dir, manifest, reporter(), keep) };
}

/** There is no older checkpoint to fall back on, so every problem has the same fix. */
function reporter() {
  return (problem: ManifestProblem) => new CheckpointError(`${what(problem)}; train again with --force to start afresh`);
}

function what(problem: ManifestProblem): string {
  switch (problem.kind) {
    case "unreadable":
      return `${problem.path} cannot be read (${problem.reason}): the checkpoint is damaged`;
    case "malformed":
      return `${problem.path} is not an mtl checkpoint manifest: the checkpoint is damaged`;
    case "outside-folder":
      return `${problem.path} lists '${problem.name}', which is not a file of the folder: the manifest was altered`;
    case "missing":
      return `${problem.path} is missing: the checkpoint is incomplete`;
    case "not-regular":
      return `${problem.path} is ${problem.what}, not a file of the checkpoint (only its own regular files are read)`;
    case "wrong-size":
      return `${problem.path} has ${problem.bytes} bytes, ${CHECKPOINT_MANIFEST} says ${problem.expected}: the file is truncated or was replaced`;
    case "wrong-hash":
      return `${problem.path} does not match its SHA-256 in ${CHECKPOINT_MANIFEST}: the file was altered or corrupted`;
  }
}

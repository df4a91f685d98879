/**
 * The text of manifest.json (see file-manifest.ts), apart from the code that
 * reads and checks folders on disk so that the browser playground writes the
 * same manifest into the model folder it offers for download.
 */
export const MANIFEST = "manifest.json";

/** The layout of manifest.json itself, the same for every format tag; folders already on disk say 1. */
export const MANIFEST_VERSION = 1;

export interface FileFingerprint {
  bytes: number;
  sha256: string;
}

export interface FileManifest {
  format: string;
  version: typeof MANIFEST_VERSION;
  files: Record<string, FileFingerprint>;
}

export function manifestText(format: string, files: Record<string, FileFingerprint>): string {
  const manifest: FileManifest = { format, version: MANIFEST_VERSION, files };
  return JSON.stringify(manifest, null, 2) + "\n";
}

/** A model folder's format tag; distinct from checkpoints' tag, so a checkpoint's manifest is never taken for a model's. */
export const MODEL_FORMAT = "mtl-model";

import { randomBytes } from "node:crypto";
import type { Stats } from "node:fs";
import { open, rename, unlink, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { keepOwnershipAsync, OutputPathError } from "../../util/output-path.js";
import { trackTempFile, untrackTempFile } from "../../util/temp-files.js";
import { DataError } from "../record.js";

/** A fresh temp path beside `target` (the same folder, so the final rename is atomic), removed if the process ends before it is committed. */
export function tempPathFor(target: string): string {
  const name = `.${basename(target)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  const temp = join(dirname(target), name);
  trackTempFile(temp);
  return temp;
}

/**
 * Creates the temp file that will replace `existing` (or become a new file):
 * private until it has the replaced file's mode and owner, so no content is
 * ever readable by more people than the file it replaces. "wx": never reuse
 * a file someone else created under our temp name.
 */
export async function createTemp(temp: string, existing: Stats | undefined): Promise<FileHandle> {
  const handle = await open(temp, "wx", existing ? 0o600 : 0o666);
  try {
    await keepOwnershipAsync(handle, existing);
  } catch (err) {
    await handle.close();
    throw err;
  }
  return handle;
}

/** Moves an already-synced temp file over `target` in one step, then persists the rename; errors name `shownAs`. */
export async function commitTemp(temp: string, target: string, shownAs = target): Promise<void> {
  try {
    await rename(temp, target);
  } catch (err) {
    await discardTemp(temp);
    throw outputError(shownAs, err);
  }
  untrackTempFile(temp);
  await syncFolder(dirname(target));
}

export async function discardTemp(temp: string): Promise<void> {
  await unlink(temp).catch(() => undefined);
  untrackTempFile(temp);
}

/** fsync of an already-written file, for writers (like hyparquet-writer's) that do not keep a handle. */
export async function syncFile(path: string): Promise<void> {
  const handle = await open(path, "r+");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Persists the rename itself; some platforms cannot open folders, and there the rename is all we can do. */
async function syncFolder(folder: string): Promise<void> {
  try {
    const handle = await open(folder, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // best effort
  }
}

/** An output problem in a user's terms. */
export function outputError(target: string, err: unknown): DataError {
  if (err instanceof DataError) return err;
  if (err instanceof OutputPathError) return new DataError(target, null, err.reason, err.fix);
  const code = (err as NodeJS.ErrnoException | null)?.code;
  switch (code) {
    case "ENOENT":
    case "ENOTDIR":
      return new DataError(target, null, "cannot create the output file: its folder does not exist", "create the folder first, or write elsewhere");
    case "EACCES":
    case "EPERM":
      return new DataError(target, null, "permission denied: cannot write the output file here", "check the folder's permissions, or write elsewhere");
    case "EISDIR":
      return new DataError(target, null, "the output path is a folder", "name a file inside it");
    case "ENOSPC":
    case "EDQUOT":
      return new DataError(target, null, "the disk is full; nothing was written", "free some space and run again");
    case "EROFS":
      return new DataError(target, null, "the file system is read-only", "write elsewhere");
    default: {
      const message = err instanceof Error ? err.message : String(err);
      return new DataError(target, null, `cannot write the output file: ${message}`);
    }
  }
}

/**
 * What is at a path mtl is about to write, decided once for every writer
 * (writeFileAtomic, `-o` of every command, the record writers): a write goes
 * through a symbolic link to the file it names, replaces a regular file
 * keeping its mode and owner, writes a character device or FIFO (/dev/null,
 * /dev/stdout, a pipe) in place, and never replaces anything else.
 */
import { fchmodSync, fchownSync, lstatSync, readlinkSync, realpathSync, statSync, type Stats } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import { fileKind } from "./regular-file.js";

export interface OutputTarget {
  /**
   * Where to write: for a file, its real path (every link resolved), so the
   * temp file goes beside the real file and the rename replaces it, not the
   * link; for a stream, the path as given (/dev/stdout resolves to a pipe
   * that has no path).
   */
  path: string;
  /** "file": a regular file, or nothing yet; "stream": a character device or FIFO, which cannot be replaced. */
  kind: "file" | "stream";
  /** The regular file being replaced, whose mode and owner the new one keeps. */
  existing?: Stats;
}

/** A path that cannot be written: `reason` and `fix` are in the user's terms. */
export class OutputPathError extends Error {
  override name = "OutputPathError";
  constructor(
    readonly path: string,
    readonly reason: string,
    readonly fix: string,
  ) {
    super(`${reason}; ${fix}`);
  }
}

/** Links followed before giving up, as the kernel's own limit (ELOOP). */
const MAX_LINKS = 40;

export function resolveOutput(path: string): OutputTarget {
  let stats: Stats;
  try {
    stats = statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ELOOP") throw loop(path);
    if (code !== "ENOENT" && code !== "ENOTDIR") throw error;
    // Nothing there yet, or a link to nothing yet: the file is created where the link points.
    return { path: danglingTarget(path), kind: "file" };
  }
  if (stats.isFile()) return { path: realpathSync(path), kind: "file", existing: stats };
  if (stats.isCharacterDevice() || stats.isFIFO()) return { path, kind: "stream" };
  if (stats.isDirectory()) throw new OutputPathError(path, "the output path is a folder", "name a file inside it");
  throw new OutputPathError(path, `the output path is ${fileKind(stats)}, not a file`, "write to a file");
}

/** The path a missing file (or a chain of links ending nowhere) would be created at. */
function danglingTarget(path: string): string {
  let current = resolve(path);
  for (let hops = 0; hops < MAX_LINKS; hops++) {
    let isLink: boolean;
    try {
      isLink = lstatSync(current).isSymbolicLink();
    } catch {
      return current;
    }
    if (!isLink) return current;
    current = resolve(dirname(current), readlinkSync(current));
  }
  throw loop(path);
}

function loop(path: string): OutputPathError {
  return new OutputPathError(path, "the output path is a loop of symbolic links (or too long a chain)", "write to a file");
}

/** Gives a new file (its temp file, before any data) the mode and owner of the file it replaces. */
export function keepOwnership(fd: number, existing: Stats | undefined): void {
  if (!existing) return;
  // Owner first: a chown clears the set-user-ID and set-group-ID bits that the chmod then restores.
  try {
    fchownSync(fd, existing.uid, existing.gid);
  } catch {
    // Only root can give a file away; another user's file the caller may write becomes the caller's.
  }
  fchmodSync(fd, existing.mode & 0o7777);
}

export async function keepOwnershipAsync(handle: FileHandle, existing: Stats | undefined): Promise<void> {
  if (!existing) return;
  await handle.chown(existing.uid, existing.gid).catch(() => undefined);
  await handle.chmod(existing.mode & 0o7777);
}

/**
 * The identity of a file: (device, inode) when it exists, so `./a.csv`,
 * `a.csv`, a link to it and a hard link all compare equal; else the real
 * path it would be created at.
 */
export function fileIdentity(path: string): string {
  try {
    const stats = statSync(path);
    return `inode ${stats.dev}:${stats.ino}`;
  } catch {
    return `path ${realPathOf(danglingTarget(path))}`;
  }
}

/** Whether `path` (existing or not) lies inside the folder `dir`. */
export function isInsideFolder(path: string, dir: string): boolean {
  let folder: string;
  try {
    folder = realpathSync(dir);
  } catch {
    return false;
  }
  const rel = relative(folder, realPathOf(path));
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel);
}

/** The real path of `path`, resolving links in the part of it that exists. */
function realPathOf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    const parent = dirname(path);
    return parent === path ? path : join(realPathOf(parent), basename(path));
  }
}

import { closeSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { keepOwnership, OutputPathError, resolveOutput } from "./output-path.js";

/**
 * Writes a file so that readers see either the old content or the new, never
 * a half-written file: write a temporary file beside it, fsync, rename.
 * The rename itself becomes durable only when the folder is synced too
 * (syncDirectory); callers that commit several files do that once at the end.
 *
 * A symbolic link is written through (its target is replaced, the link
 * stays), a replaced file keeps its mode and owner, and a path that is not a
 * regular file (a device, a FIFO, a folder) is refused with an
 * OutputPathError rather than replaced: see output-path.ts.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const target = resolveOutput(path);
  if (target.kind === "stream") throw new OutputPathError(path, "the path is a device or FIFO, not a file that can be replaced", "name a regular file");
  const real = target.path;
  const temp = join(dirname(real), `.${basename(real)}.${process.pid}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.tmp`);
  let fd: number | undefined;
  try {
    // Private until it has the replaced file's mode, so a private file's new content is never readable by others.
    fd = openSync(temp, "wx", target.existing ? 0o600 : 0o666);
    keepOwnership(fd, target.existing);
    writeAll(fd, typeof data === "string" ? Buffer.from(data, "utf8") : data);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, real);
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    rmSync(temp, { force: true });
    throw error;
  }
}

/** writeSync may write less than asked (large buffers, some file systems); loop until all is out. */
function writeAll(fd: number, bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.byteLength) offset += writeSync(fd, bytes, offset, bytes.byteLength - offset);
}

/**
 * Makes the renames in `dir` durable. Best effort: some platforms cannot
 * fsync a folder, which only weakens durability after a power loss, not the
 * atomicity a crashed process relies on.
 */
export function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // See above: the files themselves were fsynced before their rename.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * The temporary files of writeFileAtomic and of the TF.js model saver
 * (runtime/graph/save-load.ts): `.NAME.PID.SUFFIX.tmp`.
 */
const TEMP_FILE = /^\..+\.(\d+)\.[0-9a-z]+\.tmp$/;

/**
 * Removes the temporary files that killed writers left in `dir`: those of
 * processes that no longer run, and this process's own (call it only while
 * this process is not writing there). Returns the names removed.
 */
export function removeStaleTempFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = TEMP_FILE.exec(name)?.[1];
    if (pid === undefined || (Number(pid) !== process.pid && processIsRunning(Number(pid)))) continue;
    rmSync(join(dir, name), { force: true });
    removed.push(name);
  }
  return removed;
}

function processIsRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

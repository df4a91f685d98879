import { closeSync, fsync, fsyncSync, openSync, readdirSync, renameSync, rmSync, writeSync } from "node:fs";
import { promisify } from "node:util";
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
  const file = writeTemporary(path, data);
  try {
    fsyncSync(file.fd);
  } catch (error) {
    discard([file]);
    throw error;
  }
  commit([file]);
}

/** The steps of writeFilesAtomic at which a file can fail, in order. */
export type WriteStage = "write" | "sync" | "rename";

/**
 * Called before each step of each file (with the path as given); a throw is
 * handled as that step's failure. Tests inject failures (a full disk) here.
 */
export type WriteFault = (stage: WriteStage, path: string) => void;

/**
 * writeFileAtomic for several files: each written to its temporary file, all
 * of them fsynced at once by libuv's pool (the file system then commits them
 * together: four small files took 13-25 ms synced one after another, 2-8 ms
 * at once, measured), then each renamed, in the order given. Each file is
 * replaced atomically; together they are not (as with one call per file),
 * but a failure before the renames replaces none, and one at a rename
 * replaces exactly the files before it: a file that commits the others (a
 * manifest) goes last.
 */
export async function writeFilesAtomic(files: readonly (readonly [string, string | Uint8Array])[], fault?: WriteFault): Promise<void> {
  const written: TemporaryFile[] = [];
  try {
    for (const [path, data] of files) written.push(writeTemporary(path, data, fault));
    // allSettled: a failed fsync must not let discard() close the others' fds while their fsyncs still run.
    const synced = await Promise.allSettled(
      written.map(async (file) => {
        fault?.("sync", file.path);
        await fsyncAsync(file.fd);
      }),
    );
    const failed = synced.find((outcome): outcome is PromiseRejectedResult => outcome.status === "rejected");
    if (failed) throw failed.reason;
  } catch (error) {
    discard(written);
    throw error;
  }
  commit(written, fault);
}

const fsyncAsync = promisify(fsync);

interface TemporaryFile {
  /** The path as given. */
  path: string;
  /** The file it replaces (a link's target). */
  real: string;
  temp: string;
  fd: number;
}

/** `data` in a new temporary file beside `path`'s file, left open; nothing is left behind if that fails. */
function writeTemporary(path: string, data: string | Uint8Array, fault?: WriteFault): TemporaryFile {
  const target = resolveOutput(path);
  if (target.kind === "stream") throw new OutputPathError(path, "the path is a device or FIFO, not a file that can be replaced", "name a regular file");
  const real = target.path;
  const temp = join(dirname(real), `.${basename(real)}.${process.pid}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.tmp`);
  let fd: number | undefined;
  try {
    // Private until it has the replaced file's mode, so a private file's new content is never readable by others.
    fd = openSync(temp, "wx", target.existing ? 0o600 : 0o666);
    keepOwnership(fd, target.existing);
    fault?.("write", path);
    writeAll(fd, typeof data === "string" ? Buffer.from(data, "utf8") : data);
    return { path, real, temp, fd };
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    rmSync(temp, { force: true });
    throw error;
  }
}

/** Closes the synced temporary files and renames each over its file. */
function commit(files: readonly TemporaryFile[], fault?: WriteFault): void {
  let done = 0;
  try {
    for (const file of files) {
      closeSync(file.fd);
      fault?.("rename", file.path);
      renameSync(file.temp, file.real);
      done++;
    }
  } catch (error) {
    discard(files.slice(done + 1));
    rmSync(files[done]!.temp, { force: true });
    throw error;
  }
}

/** Closes and removes temporary files that will not be renamed. */
function discard(files: readonly TemporaryFile[]): void {
  for (const file of files) {
    try {
      closeSync(file.fd);
    } catch {
      // Already closed.
    }
    rmSync(file.temp, { force: true });
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

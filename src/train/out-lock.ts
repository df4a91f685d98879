/**
 * One `mtl train` per --out folder: each file is written atomically, but two
 * runs into one folder would interleave their checkpoints and manifests.
 * The lock is `OUT/.lock`, created exclusively and holding who owns it.
 */
import { closeSync, linkSync, mkdirSync, openSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { basename, dirname, join, resolve } from "node:path";

export const LOCK_FILE = ".lock";

export interface LockOwner {
  pid: number;
  hostname: string;
  /** ISO 8601. */
  started: string;
}

/** The folder is locked by a process that may still be running. */
export class OutFolderLockedError extends Error {
  override name = "OutFolderLockedError";
  constructor(
    readonly out: string,
    readonly owner: LockOwner | null,
  ) {
    const lock = join(out, LOCK_FILE);
    const who = owner ? `pid ${owner.pid} on ${owner.hostname}, started ${owner.started}` : `${lock} cannot be read`;
    super(`${out} is in use by another mtl train (${who}): wait for it to finish, train into another --out folder, or delete ${lock} if that process is gone`);
  }
}

export interface OutLock {
  /** Removes the lock (if still ours) and the folder if the lock created it and it stayed empty. Idempotent. */
  release(): void;
}

/**
 * Where hard links are not available, a lock file stays empty between its
 * creation and the write of its owner, microseconds apart; one still empty
 * after this long was left by a process killed in between.
 */
const EMPTY_LOCK_STALE_MS = 5_000;

/**
 * Locks `out` (creating it) for this process. A lock whose process no longer
 * runs on this host, or left empty by a process killed while taking it, is
 * taken over, calling `onStale` (with a null owner for an empty one); any
 * other lock throws OutFolderLockedError. When the folder or the lock file cannot be created
 * at all, nothing can be written there by anyone, so no lock is needed: the
 * trainer's own check then reports the folder with its precise message.
 */
export function lockOutFolder(out: string, onStale: (owner: LockOwner | null, lock: string) => void): OutLock {
  const path = join(out, LOCK_FILE);
  let createdFolder: string | undefined;
  try {
    createdFolder = mkdirSync(out, { recursive: true });
  } catch {
    return { release() {} };
  }
  const me: LockOwner = { pid: process.pid, hostname: hostname(), started: new Date().toISOString() };
  const content = JSON.stringify(me) + "\n";
  // Two attempts: the second follows the removal of a stale lock.
  for (let attempt = 0; ; attempt++) {
    const created = createLock(path, content);
    if (created === "failed") {
      removeCreated(out, createdFolder);
      return { release() {} };
    }
    if (created === "created") break;
    const owner = readOwner(path);
    if (attempt > 0 || (owner === null ? !leftEmpty(path) : !isStale(owner))) {
      removeCreated(out, createdFolder);
      throw new OutFolderLockedError(out, owner);
    }
    // Another process may take the same stale lock over between our read and
    // this removal; that race needs two runs started within microseconds.
    onStale(owner, path);
    rmSync(path, { force: true });
  }
  // A second Ctrl-C ends the process with process.exit, skipping `finally` blocks.
  const onExit = () => release();
  process.on("exit", onExit);
  let held = true;
  function release(): void {
    if (!held) return;
    held = false;
    process.off("exit", onExit);
    try {
      // Not ours any more if someone deleted it and another run took the folder.
      if (readFileSync(path, "utf8") === content) rmSync(path, { force: true });
    } catch {
      // Already gone.
    }
    removeCreated(out, createdFolder);
  }
  return { release };
}

/** File systems that cannot hard-link: the lock is then created in place. */
const NO_HARD_LINKS = new Set(["EPERM", "ENOTSUP", "EOPNOTSUPP", "ENOSYS", "EXDEV"]);

/**
 * Creates the lock holding `content`, exclusively and whole: the content goes
 * to a temp file that is then hard-linked to the lock's name (which fails if
 * it exists), so a process killed at any moment leaves no lock or a complete
 * one, plus perhaps a temp file the next run removes (removeStaleTempFiles).
 * "failed": the folder cannot be written at all.
 */
function createLock(path: string, content: string): "created" | "exists" | "failed" {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now().toString(36)}.tmp`);
  try {
    writeFileSync(temp, content, { flag: "wx" });
  } catch {
    return "failed";
  }
  try {
    linkSync(temp, path);
    return "created";
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "";
    if (code === "EEXIST") return "exists";
    return NO_HARD_LINKS.has(code) ? createInPlace(path, content) : "failed";
  } finally {
    rmSync(temp, { force: true });
  }
}

/** Exclusive create, then write: a kill in between leaves the lock empty (see EMPTY_LOCK_STALE_MS). */
function createInPlace(path: string, content: string): "created" | "exists" | "failed" {
  let fd: number;
  try {
    fd = openSync(path, "wx");
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EEXIST" ? "exists" : "failed";
  }
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  return "created";
}

/** The lock's owner; null while it is unreadable or not ours to parse (its holder is then assumed alive). */
function readOwner(path: string): LockOwner | null {
  try {
    const owner = JSON.parse(readFileSync(path, "utf8")) as Partial<LockOwner>;
    if (Number.isSafeInteger(owner.pid) && typeof owner.hostname === "string" && typeof owner.started === "string") return owner as LockOwner;
  } catch {
    // Fall through.
  }
  return null;
}

function leftEmpty(path: string): boolean {
  try {
    const stat = statSync(path);
    return stat.size === 0 && Date.now() - stat.mtimeMs > EMPTY_LOCK_STALE_MS;
  } catch {
    return false;
  }
}

/** Only a process on this host can be checked; our own pid can only be a reused one from an earlier run. */
function isStale(owner: LockOwner): boolean {
  if (owner.hostname !== hostname()) return false;
  if (owner.pid === process.pid) return true;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (error) {
    // EPERM: alive, but another user's.
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/** Removes the folders mkdir created for the lock, deepest first, as long as they are empty, so a failed run leaves no empty model folder. */
function removeCreated(out: string, created: string | undefined): void {
  if (created === undefined) return;
  const top = resolve(created);
  for (let dir = resolve(out); ; dir = dirname(dir)) {
    try {
      rmdirSync(dir);
    } catch {
      return;
    }
    if (dir === top || dirname(dir) === dir) return;
  }
}

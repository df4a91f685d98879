/**
 * Reading files with a known bound. A model or checkpoint folder holds only
 * its own regular files, so those are opened without following a symbolic
 * link and without blocking (a FIFO would wait forever for a writer), their
 * size is compared with the bound before a byte is read, and they are hashed
 * as a stream. Without this, a link to /dev/zero was read until the kernel
 * killed mtl, and a link out of the folder was trusted.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from "node:fs";
import { createHash } from "node:crypto";

/** A path that is not a regular file of its own: `what` says what it is ("a symbolic link", "a FIFO"). */
export class NotRegularFileError extends Error {
  override name = "NotRegularFileError";
  constructor(
    readonly path: string,
    readonly what: string,
  ) {
    super(`${path} is ${what}, not a regular file`);
  }
}

/** A file larger than what may be read from it. */
export class FileTooLargeError extends Error {
  override name = "FileTooLargeError";
  constructor(
    readonly path: string,
    readonly limit: number,
  ) {
    super(`${path} is larger than ${describeBytes(limit)}`);
  }
}

/** O_NOFOLLOW and O_NONBLOCK where the platform has them (not on Windows, which has no FIFOs to block on). */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

/** Reads in pieces of this size: hashing a large weights file never holds it whole. */
const CHUNK = 1 << 20;

export interface RegularFile {
  fd: number;
  size: number;
}

/**
 * Opens `path` if it is itself a regular file (not a symbolic link, FIFO,
 * device, socket or folder), without blocking. ENOENT and the like are
 * thrown as they are; close the fd with closeSync.
 */
export function openRegularFile(path: string): RegularFile {
  let fd: number;
  try {
    fd = openSync(path, OPEN_FLAGS);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ELOOP") throw new NotRegularFileError(path, "a symbolic link");
    if ((error as NodeJS.ErrnoException).code === "EISDIR") throw new NotRegularFileError(path, "a folder");
    throw error;
  }
  const stats = fstatSync(fd);
  if (!stats.isFile()) {
    closeSync(fd);
    throw new NotRegularFileError(path, fileKind(stats));
  }
  return { fd, size: stats.size };
}

/** Reads a regular file (see openRegularFile) whole, after checking that it has at most `maxBytes`. */
export function readRegularFile(path: string, maxBytes: number): Buffer {
  const file = openRegularFile(path);
  try {
    if (file.size > maxBytes) throw new FileTooLargeError(path, maxBytes);
    return readAtMost(file.fd, maxBytes, path);
  } finally {
    closeSync(file.fd);
  }
}

/** The SHA-256 of an open file, read as a stream; `bytes` is how many were read. */
export function hashOpenFile(fd: number): { bytes: number; sha256: string } {
  const hash = createHash("sha256");
  const buffer = Buffer.allocUnsafe(CHUNK);
  let bytes = 0;
  for (let n; (n = readSync(fd, buffer, 0, CHUNK, null)) > 0; bytes += n) hash.update(buffer.subarray(0, n));
  return { bytes, sha256: hash.digest("hex") };
}

/**
 * Reads any file (a link is followed; a FIFO or device such as /dev/stdin is
 * read too) but never more than `maxBytes`: a regular file is refused by its
 * size before reading, anything else once it has given more.
 */
export function readBoundedFile(path: string, maxBytes: number): Buffer {
  const fd = openSync(path, "r");
  try {
    const stats = fstatSync(fd);
    if (stats.isDirectory()) throw Object.assign(new Error(`EISDIR: ${path} is a directory`), { code: "EISDIR" });
    if (stats.isFile() && stats.size > maxBytes) throw new FileTooLargeError(path, maxBytes);
    return readAtMost(fd, maxBytes, path);
  } finally {
    closeSync(fd);
  }
}

/** Reads until the end, refusing once more than `maxBytes` came (a file that grew, or a device that never ends). */
export function readAtMost(fd: number, maxBytes: number, path: string): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const buffer = Buffer.allocUnsafe(Math.min(CHUNK, maxBytes - total + 1));
    const n = readSync(fd, buffer, 0, buffer.length, null);
    if (n === 0) break;
    total += n;
    if (total > maxBytes) throw new FileTooLargeError(path, maxBytes);
    chunks.push(buffer.subarray(0, n));
  }
  return Buffer.concat(chunks, total);
}

/** What a path that is not a regular file is, for messages. */
export function fileKind(stats: Stats): string {
  if (stats.isSymbolicLink()) return "a symbolic link";
  if (stats.isFIFO()) return "a FIFO";
  if (stats.isCharacterDevice()) return "a character device";
  if (stats.isBlockDevice()) return "a block device";
  if (stats.isSocket()) return "a socket";
  if (stats.isDirectory()) return "a folder";
  return "not a regular file";
}

export function describeBytes(n: number): string {
  if (n >= 1 << 20 && n % (1 << 20) === 0) return `${n / (1 << 20)} MiB`;
  if (n >= 1 << 10 && n % (1 << 10) === 0) return `${n / (1 << 10)} KiB`;
  return `${n} bytes`;
}

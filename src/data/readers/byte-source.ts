import { open, type FileHandle } from "node:fs/promises";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream";
import { createGunzip } from "node:zlib";
import { DataError } from "../record.js";
import { fileError, gzipError } from "./file-errors.js";

/**
 * Large enough that per-chunk overhead vanishes; small enough that the
 * records parsed from one chunk die young. (With 1 MiB chunks some ten
 * thousand records were alive at once, got promoted to the old generation,
 * and garbage collection took most of the time.) At 64 KiB the text of an
 * ASCII chunk (CsvScanner decodes a chunk once for its string fields) stays
 * an ordinary young object: at 128 KiB, with a record carried over, it went
 * to V8's large-object space, and making it cost more than the scan.
 */
export const CHUNK_BYTES = 1 << 16;

/**
 * Bytes asked of the file at once: each read is a trip through libuv's
 * thread pool, which cost more than the parsing on a loaded machine with
 * 128 KiB reads (a 40 MB file took 0.3 s to read as a stream against 0.02 s
 * read directly). The bytes are still handed out CHUNK_BYTES at a time.
 */
const READ_BYTES = 1 << 20;

/** Opens `file` for reading, refusing folders, with errors a user can act on. */
export async function openDataFile(file: string): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    handle = await open(file, "r");
  } catch (err) {
    throw fileError(file, err);
  }
  try {
    // Linux lets a folder be opened read-only; the failure would only come at the first read.
    if ((await handle.stat()).isDirectory()) throw fileError(file, { code: "EISDIR" });
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw fileError(file, err);
  }
  return handle;
}

/**
 * The bytes of a text data file, decompressed when it is gzip. Gzip is
 * recognised by its magic bytes rather than the name, so a renamed file still
 * reads; a Parquet or UTF-16 file handed to a text reader is named as such
 * instead of surfacing later as "invalid UTF-8".
 */
export async function* textFileBytes(file: string, format: "csv" | "jsonl"): AsyncGenerator<Buffer, void, undefined> {
  const handle = await openDataFile(file);
  let raw: Readable | undefined;
  let stream: Readable | undefined;
  try {
    const head = Buffer.alloc(4);
    let bytesRead: number;
    try {
      ({ bytesRead } = await handle.read(head, 0, 4, 0));
    } catch (err) {
      throw fileError(file, err);
    }
    if (bytesRead === 4 && head.toString("latin1") === "PAR1") {
      throw new DataError(file, null, `this is a Parquet file, but it is being read as ${format}`, "set the data format to parquet");
    }
    if (bytesRead >= 2 && ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff))) {
      throw new DataError(file, 1, "the file is UTF-16 encoded, not UTF-8", "save it as UTF-8 (most editors and `iconv -f utf-16 -t utf-8` can)");
    }
    if (!(bytesRead >= 2 && head[0] === 0x1f && head[1] === 0x8b)) {
      yield* plainBytes(file, handle);
      return;
    }
    raw = handle.createReadStream({ start: 0, highWaterMark: CHUNK_BYTES, autoClose: false });
    stream = pipeline(raw, createGunzip({ chunkSize: CHUNK_BYTES }), () => undefined);
    let first = true;
    try {
      for await (const chunk of stream) {
        if (first) {
          first = false;
          checkDecompressedHead(file, chunk as Buffer, format);
        }
        yield chunk as Buffer;
      }
    } catch (err) {
      throw gzipError(file, err);
    }
  } finally {
    stream?.destroy();
    raw?.destroy();
    await handle.close().catch(() => undefined);
  }
}

/**
 * A plain file's bytes (those of [start, end)), read READ_BYTES at a time
 * into one buffer and handed out as copies of CHUNK_BYTES: a chunk a reader
 * keeps (a record carried over, the line index) then holds its own bytes,
 * not the whole read.
 */
export async function* plainBytes(file: string, handle: FileHandle, start = 0, end = Infinity): AsyncGenerator<Buffer, void, undefined> {
  const size = Math.min(READ_BYTES, end - start);
  if (size <= 0) return;
  const buf = Buffer.allocUnsafe(size);
  for (let position = start; ; ) {
    let filled = 0;
    const want = Math.min(size, end - position);
    try {
      while (filled < want) {
        const { bytesRead } = await handle.read(buf, filled, want - filled, position + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
    } catch (err) {
      throw fileError(file, err);
    }
    for (let at = 0; at < filled; at += CHUNK_BYTES) {
      const end = Math.min(at + CHUNK_BYTES, filled);
      // A copy by Buffer.copy (a memcpy): Buffer.from(buf.subarray(...)) copied byte by byte, ten times slower.
      const chunk = Buffer.allocUnsafeSlow(end - at);
      buf.copy(chunk, 0, at, end);
      yield chunk;
    }
    position += filled;
    if (filled < want || position >= end) return;
  }
}

/** What a .gz file holds, when it is not text: Parquet compresses inside the file and cannot be streamed through gzip. */
function checkDecompressedHead(file: string, head: Buffer, format: "csv" | "jsonl"): void {
  if (head.length >= 4 && head.toString("latin1", 0, 4) === "PAR1") {
    throw new DataError(
      file,
      null,
      `this is a gzip-compressed Parquet file, but it is being read as ${format}`,
      "decompress it first (`gunzip FILE`) and read the .parquet file: Parquet compresses its data itself",
    );
  }
}

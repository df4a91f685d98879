import { open, type FileHandle } from "node:fs/promises";
import { Worker } from "node:worker_threads";
import { availableCores } from "../../runtime/parallel/cores.js";
import type { ReadOptions } from "../record.js";
import { CHUNK_BYTES, plainBytes } from "./byte-source.js";
import type { ColumnParts } from "./csv-columns.js";
import type { SegmentLayout, SegmentOptions } from "./csv-segment.js";
import { switchedOn } from "../../util/env-switch.js";

/**
 * A large CSV file read on two threads. The file goes in rounds: the main
 * thread scans the first part of each round (and encodes every row, its
 * own and the worker's), a worker thread scans the rest (csv-worker.ts)
 * meanwhile. The worker's part starts after a line break, which is a
 * record's start unless the break was inside a quoted field; the main
 * thread knows which when its own scan reaches that offset: its last
 * record must end exactly there. If it does not, or the worker found
 * anything but good rows in its part, the main thread scans that part
 * itself, so every error is the one a plain read reports, in file order,
 * with the same line. readCsvBlocks uses it (readCsv hands out records one
 * at a time and never splits).
 */

/**
 * Sizes of the split: files below `minBytes` are read on one thread (the
 * worker's start, some 0.2 s on a loaded machine, and its compiler's
 * warm-up would cost more than the second core saves); a round has
 * `roundBytes`, which bounds what waits in memory for the main thread.
 */
export const SPLIT_MIN_BYTES = 8 << 20;
const ROUND_BYTES = 32 << 20;
const sizes = { minBytes: SPLIT_MIN_BYTES, roundBytes: ROUND_BYTES };
/** The main thread's share of a round's bytes: it encodes every row as well, so it scans less than half. */
const MAIN_SHARE = 0.45;
/** How far a round's boundary is looked for a line break before the rest of the file is left to the main thread. */
const LINE_SEARCH_BYTES = 1 << 20;

/** What split reads did in this process: segments whose rows the worker scanned, and those the main thread scanned after all. */
export const splitCounts = { taken: 0, rescanned: 0 };

/** Other sizes (tests split small files into many rounds); without arguments, the defaults again. */
export function setSplitSizes(minBytes = SPLIT_MIN_BYTES, roundBytes = ROUND_BYTES): void {
  sizes.minBytes = minBytes;
  sizes.roundBytes = roundBytes;
}

let threadSetting: number | null = null;

/** The threads a CSV read uses: 1 keeps it on the main thread (`mtl train --threads 1`), 2 splits a large file; null for the default (readThreads). */
export function setReadThreads(threads: number | null): void {
  threadSetting = threads;
}

/**
 * The threads a CSV read uses now: the setting, else one unless
 * MTL_SPLIT_CSV=on asks for two (and the process has two cores). Not the
 * default: measured on a loaded two-core machine, a split read took from
 * as long as one thread's to twice as long (the worker only took time from
 * the main thread), and a fresh process also pays the worker's start and
 * warm-up; its gain on a quiet machine is yet to be measured.
 */
export function readThreads(env: NodeJS.ProcessEnv = process.env): number {
  if (threadSetting !== null) return threadSetting;
  return switchedOn(env["MTL_SPLIT_CSV"]) && availableCores() >= 2 ? 2 : 1;
}

/** A part of the file the worker scans: the main thread sets `taken` when it uses the rows, else the splitter hands out the bytes next. */
export interface Segment {
  start: number;
  end: number;
  result: Promise<SegmentResult>;
  taken: boolean;
}

/** The worker's rows of a segment, or none (parts null), with the segment's bytes when it read them. */
export type SegmentResult = { parts: ColumnParts; dataRows: number; bytes: Buffer } | { parts: null; bytes: Buffer | null };

/**
 * The one worker thread, kept for the process's later reads (the training
 * file, the validation file, the next run in a benchmark), so that its
 * start and its compiler's warm-up are paid once.
 */
let shared: { worker: Worker; waiting: ((result: SegmentResult) => void)[] } | null = null;
/** Set when the worker failed: the process's reads stay on the main thread from then on. */
let broken = false;

/** Asks the worker for the rows of [start, end) of `file`; whatever goes wrong, the answer is no rows. */
function requestSegment(job: SegmentJob): Promise<SegmentResult> {
  if (shared === null) {
    const worker = new Worker(new URL("./csv-worker.js", import.meta.url));
    const waiting: ((result: SegmentResult) => void)[] = [];
    worker.on("message", (result: SegmentResult) => {
      waiting.shift()?.(reply(result));
      if (waiting.length === 0) worker.unref();
    });
    const fail = (): void => {
      broken = true;
      shared = null;
      for (const resolve of waiting.splice(0)) resolve({ parts: null, bytes: null });
    };
    worker.on("error", fail);
    worker.on("exit", fail);
    shared = { worker, waiting };
  }
  const { worker, waiting } = shared;
  // Referenced while it owes a reply (which the caller awaits), else not: an idle worker never keeps the process alive.
  worker.ref();
  const result = new Promise<SegmentResult>((resolve) => waiting.push(resolve));
  worker.postMessage(job);
  return result;
}

/** What the worker is asked: a byte range of a file and how to scan it (csv-worker.ts). */
export interface SegmentJob {
  file: string;
  start: number;
  end: number;
  read: SegmentOptions;
  layout: SegmentLayout;
}

export class CsvSplit {
  private constructor(
    private readonly file: string,
    private readonly read: ReadOptions,
    private readonly handle: FileHandle,
    private readonly size: number,
  ) {}

  /** A splitter for `file`, or null when it is to be read on one thread: small, compressed, not a plain file, one thread allowed, or a delimiter with a line break or quote in it. */
  static async open(file: string, read: ReadOptions): Promise<CsvSplit | null> {
    if (broken || readThreads() < 2 || /[\r\n"]/.test(read.delimiter)) return null;
    let handle: FileHandle;
    try {
      handle = await open(file, "r");
    } catch {
      return null; // the plain read reports it
    }
    try {
      const stat = await handle.stat();
      const head = Buffer.alloc(4);
      await handle.read(head, 0, 4, 0);
      const plain = !(head[0] === 0x1f && head[1] === 0x8b) && head.toString("latin1") !== "PAR1" && !(head[0] === 0xff && head[1] === 0xfe) && !(head[0] === 0xfe && head[1] === 0xff);
      if (stat.isFile() && stat.size >= sizes.minBytes && plain) return new CsvSplit(file, read, handle, stat.size);
    } catch {
      // the plain read reports it
    }
    await handle.close().catch(() => undefined);
    return null;
  }

  /**
   * The file in order: chunks of bytes for the main thread to scan, and the
   * segments the worker scans. `layout` is null until the main thread has
   * read the header and first row; segments are planned only after that.
   */
  async *pieces(layout: () => SegmentLayout | null): AsyncGenerator<Buffer | Segment, void, undefined> {
    let pos = 0;
    /** Planned segments not yet handed out (at most two: the worker's work in hand). */
    const planned: Segment[] = [];
    let planEnd = 0;
    let exhausted = false;
    for (;;) {
      const settled = layout();
      while (settled !== null && !exhausted && !broken && planned.length < 2) {
        const segment = await this.plan(Math.max(planEnd, pos), settled);
        if (segment === null) exhausted = true;
        else {
          planned.push(segment);
          planEnd = segment.end;
        }
      }
      const next = planned[0];
      const target = next ? next.start : this.size;
      if (pos < target) {
        // A chunk at a time until the layout is known, so that the first segment is planned as soon as it is.
        const stop = Math.min(target, pos + (settled === null ? CHUNK_BYTES : 1 << 20));
        for await (const chunk of plainBytes(this.file, this.handle, pos, stop)) {
          pos += chunk.length;
          yield chunk;
        }
        if (pos < stop) return; // the file shrank
        continue;
      }
      if (!next) return;
      planned.shift();
      yield next;
      if (next.taken) {
        splitCounts.taken++;
        pos = next.end;
        continue;
      }
      splitCounts.rescanned++;
      // Scanned by the main thread after all: from the worker's copy of the bytes, or from the file.
      const { bytes } = await next.result;
      if (bytes === null) continue;
      for (let at = 0; at < bytes.length; at += CHUNK_BYTES) yield bytes.subarray(at, Math.min(at + CHUNK_BYTES, bytes.length));
      pos = next.end;
    }
  }

  /** The next segment from `from`: the round's part after the main thread's share, from line break to line break; null when the rest is too short to split. */
  private async plan(from: number, layout: SegmentLayout): Promise<Segment | null> {
    const left = this.size - from;
    if (left < sizes.minBytes / 2) return null;
    const round = left < 1.5 * sizes.roundBytes ? left : sizes.roundBytes;
    const start = await this.lineEnd(from + Math.floor(round * MAIN_SHARE));
    const end = from + round >= this.size ? this.size : await this.lineEnd(from + round);
    if (start < 0 || end < 0 || start >= end) return null;
    const read = { delimiter: this.read.delimiter, trim: this.read.trim, missing: this.read.missing };
    return { start, end, result: requestSegment({ file: this.file, start, end, read, layout }), taken: false };
  }

  /** The offset after the first line feed at or after `at`; -1 when none is near. */
  private async lineEnd(at: number): Promise<number> {
    const window = Buffer.alloc(64 << 10);
    for (let p = at; p < Math.min(this.size, at + LINE_SEARCH_BYTES); p += window.length) {
      const { bytesRead } = await this.handle.read(window, 0, window.length, p);
      const k = window.subarray(0, bytesRead).indexOf(0x0a);
      if (k >= 0) return p + k + 1;
      if (bytesRead < window.length) break;
    }
    return -1;
  }

  /** Closes the file; replies still owed for an abandoned read are dropped when they come. */
  async close(): Promise<void> {
    await this.handle.close().catch(() => undefined);
  }
}

/** A reply as the main thread uses it: the bytes as a Buffer (a transferred one arrives as a Uint8Array). */
function reply(result: SegmentResult): SegmentResult {
  const bytes = result.bytes && Buffer.from(result.bytes.buffer, result.bytes.byteOffset, result.bytes.byteLength);
  return result.parts === null ? { parts: null, bytes } : { ...result, bytes: bytes! };
}

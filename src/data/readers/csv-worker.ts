/**
 * The worker thread of split CSV reads (csv-split.ts): reads the byte
 * ranges it is asked for, in order, and answers each with its rows
 * (parseSegment) or with no rows, handing its buffers over (transferred,
 * not copied).
 */
import { closeSync, openSync, readSync } from "node:fs";
import { parentPort } from "node:worker_threads";
import { parseSegment } from "./csv-segment.js";
import type { SegmentJob } from "./csv-split.js";

const port = parentPort!;

port.on("message", ({ file, start, end, read, layout }: SegmentJob) => {
  const bytes = Buffer.allocUnsafeSlow(end - start);
  let filled = 0;
  let fd: number | null = null;
  try {
    fd = openSync(file, "r");
    while (filled < bytes.length) {
      const n = readSync(fd, bytes, filled, bytes.length - filled, start + filled);
      if (n === 0) break;
      filled += n;
    }
  } catch {
    // Unreadable now (moved, shrunk): the main thread reads on and reports what it finds.
  } finally {
    if (fd !== null) closeSync(fd);
  }
  if (filled < bytes.length) return port.postMessage({ parts: null, bytes: null });
  const parsed = parseSegment(bytes, read, layout);
  if (parsed === null) return port.postMessage({ parts: null, bytes }, [bytes.buffer]);
  const { parts } = parsed;
  const transfer = new Set([bytes.buffer, parts.buf.buffer, parts.starts.buffer, parts.ends.buffer, parts.numbers.buffer, parts.lines.buffer]);
  port.postMessage({ parts, dataRows: parsed.dataRows, bytes }, [...transfer] as ArrayBuffer[]);
});

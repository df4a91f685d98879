import { Transform, type TransformCallback } from "node:stream";

/**
 * Base protocol framing (`Content-Length: N\r\n\r\n` + N bytes) in front of
 * vscode-jsonrpc. Its reader gives up for good on some malformed headers
 * (a negative length leaves it waiting for a body that never comes; a line
 * without a header break makes it read later messages as headers), so the
 * server would stop answering. This filter passes on only well-formed
 * frames; a malformed one is dropped, reported once through `onDrop`, and
 * reading resumes at the next `Content-Length:` in the stream. A request in
 * a dropped frame gets no answer: its id cannot be trusted.
 */
export class FrameFilter extends Transform {
  private chunks: Buffer[] = [];
  private size = 0;
  /** The body length of the frame being read, or -1 while reading a header. */
  private body = -1;
  /** After a bad frame: skipping to the next `Content-Length:`. */
  private seeking = false;
  /** A bad frame was reported and no good frame has come since (one report per run of garbage). */
  private reported = false;

  constructor(private readonly onDrop: (reason: string) => void) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    this.drain();
    done();
  }

  private drain(): void {
    for (;;) {
      if (this.body < 0) {
        if (this.seeking && !this.seek()) return;
        const header = this.readHeader();
        if (header === "wait") return;
        if (header !== "ok") {
          this.reject(header.bad);
          continue;
        }
      }
      if (this.size < this.body) return;
      const body = this.consume(this.body);
      this.body = -1;
      this.reported = false;
      this.push(Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`, "ascii"), body]));
    }
  }

  /** Drops everything before the next `Content-Length:`; false if there is none yet. */
  private seek(): boolean {
    const all = this.consume(this.size);
    const at = all.indexOf(MARKER);
    if (at < 0) {
      // Keep a tail that may be the start of a marker split across chunks.
      const tail = all.subarray(Math.max(0, all.length - (MARKER.length - 1)));
      this.chunks = [tail];
      this.size = tail.length;
      return false;
    }
    this.chunks = [all.subarray(at)];
    this.size = all.length - at;
    this.seeking = false;
    return true;
  }

  private readHeader(): "ok" | "wait" | { bad: string } {
    const head = this.peek(MAX_HEADER_BYTES);
    const end = head.indexOf("\r\n\r\n");
    if (end < 0) return head.length >= MAX_HEADER_BYTES ? { bad: `no blank line ends the header within ${MAX_HEADER_BYTES} bytes` } : "wait";
    let length: number | undefined;
    for (const line of head.subarray(0, end).toString("latin1").split("\r\n")) {
      const colon = line.indexOf(":");
      if (colon <= 0) return { bad: `the header line '${shown(line)}' is not 'Name: value'` };
      const value = line.slice(colon + 1).trim();
      if (line.slice(0, colon).trim().toLowerCase() !== "content-length") continue;
      if (!/^\d{1,10}$/.test(value) || Number(value) > MAX_BODY_BYTES) {
        return { bad: `Content-Length '${shown(value)}' is not a byte count from 0 to ${MAX_BODY_BYTES}` };
      }
      length = Number(value);
    }
    if (length === undefined) return { bad: "the header has no Content-Length" };
    this.consume(end + 4);
    this.body = length;
    return "ok";
  }

  private reject(reason: string): void {
    if (!this.reported) this.onDrop(reason);
    this.reported = true;
    this.consume(1); // so the search for the next header starts past this one
    this.seeking = true;
  }

  /** Up to `n` bytes from the front, without consuming them (merges only the chunks needed). */
  private peek(n: number): Buffer {
    while (this.chunks.length > 1 && this.chunks[0]!.length < n) {
      this.chunks.splice(0, 2, Buffer.concat([this.chunks[0]!, this.chunks[1]!]));
    }
    return (this.chunks[0] ?? Buffer.alloc(0)).subarray(0, n);
  }

  /** Consumes and returns the first `n` bytes (n <= size). */
  private consume(n: number): Buffer {
    const parts: Buffer[] = [];
    let need = n;
    while (need > 0) {
      const first = this.chunks[0]!;
      if (first.length <= need) {
        parts.push(first);
        this.chunks.shift();
        need -= first.length;
      } else {
        parts.push(first.subarray(0, need));
        this.chunks[0] = first.subarray(need);
        need = 0;
      }
    }
    this.size -= n;
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }
}

const MARKER = Buffer.from("Content-Length:", "ascii");
/** Real headers are a line or two; more than this without a blank line is garbage. */
const MAX_HEADER_BYTES = 4096;
/** Larger than any document an editor sends; a larger length is taken for garbage. */
export const MAX_BODY_BYTES = 1 << 30;

function shown(text: string): string {
  const clipped = text.length > 40 ? `${text.slice(0, 40)}...` : text;
  return clipped.replace(/[^\x20-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

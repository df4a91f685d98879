const LF = 0x0a;
const CR = 0x0d;

interface Chunk {
  start: number;
  bytes: Buffer;
}

/**
 * Maps absolute byte offsets of a stream to 1-based line numbers, counting
 * line feeds itself. a CSV parser's own line counter may count a CRLF inside a
 * quoted field twice, and reports where a record ends rather than where it
 * starts, so the CSV reader asks this index instead.
 *
 * Offsets are asked for in (almost) increasing order, so one cursor walks the
 * stream once; chunks behind the last released offset are dropped, which
 * keeps memory at a chunk or two plus the longest pending record.
 */
export class LineIndex {
  private chunks: Chunk[] = [];
  private end = 0;
  private cursor = 0;
  /** Line feeds in [0, cursor). */
  private cursorFeeds = 0;

  append(bytes: Buffer): void {
    this.chunks.push({ start: this.end, bytes });
    this.end += bytes.length;
  }

  /** Number of line feeds in [0, pos). `pos` must not be before released data. */
  feedsBefore(pos: number): number {
    if (pos >= this.cursor) {
      this.cursorFeeds += this.countFeeds(this.cursor, pos);
    } else {
      this.cursorFeeds -= this.countFeeds(pos, this.cursor);
    }
    this.cursor = pos;
    return this.cursorFeeds;
  }

  /** The line holding the byte at `pos`. */
  lineAt(pos: number): number {
    return this.feedsBefore(pos) + 1;
  }

  /** The line of the last byte of a record that ends just before `end` (its delimiter included, if any). */
  lastLineBefore(end: number): number {
    return end > 0 && this.byteAt(end - 1) === LF ? this.feedsBefore(end - 1) + 1 : this.feedsBefore(end) + 1;
  }

  /** The first offset at or after `pos` that is not a line break (bounded by the data held). */
  skipLineBreaks(pos: number): number {
    let p = pos;
    for (;;) {
      const b = this.byteAt(p);
      if (b !== LF && b !== CR) return p;
      p++;
    }
  }

  /** The byte at `pos`, or -1 past the data held. */
  byteAt(pos: number): number {
    for (const c of this.chunks) {
      if (pos < c.start + c.bytes.length) return pos >= c.start ? c.bytes[pos - c.start]! : -1;
    }
    return -1;
  }

  /** Forgets data before `pos`; later queries must not go below it. */
  release(pos: number): void {
    const keepFrom = Math.min(pos, this.cursor);
    while (this.chunks.length > 1 && this.chunks[0]!.start + this.chunks[0]!.bytes.length <= keepFrom) this.chunks.shift();
  }

  private countFeeds(from: number, to: number): number {
    let count = 0;
    for (const c of this.chunks) {
      const cEnd = c.start + c.bytes.length;
      if (cEnd <= from) continue;
      if (c.start >= to) break;
      let i = Math.max(from, c.start) - c.start;
      const stop = Math.min(to, cEnd) - c.start;
      for (;;) {
        const j = c.bytes.indexOf(LF, i);
        if (j < 0 || j >= stop) break;
        count++;
        i = j + 1;
      }
    }
    return count;
  }
}

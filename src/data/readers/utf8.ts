import { isUtf8 } from "node:buffer";

/**
 * Length of the prefix of `buf` that does not end inside a multi-byte
 * character, so a character split across two chunks is checked whole.
 */
export function completeUtf8Length(buf: Uint8Array): number {
  const n = buf.length;
  for (let i = n - 1; i >= 0 && i >= n - 4; i--) {
    const b = buf[i]!;
    if ((b & 0xc0) === 0x80) continue;
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return i + need > n ? i : n;
  }
  return n;
}

/**
 * Offset of the first byte in [start, end) that is not part of valid UTF-8
 * (overlong forms, surrogates and code points above U+10FFFF included), or -1.
 * Only called once `isUtf8` has already said no, so clarity beats speed here.
 */
export function firstInvalidUtf8(buf: Uint8Array, start = 0, end = buf.length): number {
  let i = start;
  while (i < end) {
    const b = buf[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else {
      return i;
    }
    // fewer continuation bytes left than the lead byte announces
    if (i + need >= end) return i;
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = buf[i + k]!;
      if ((c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

/**
 * Watches a byte stream for invalid UTF-8 without slowing down the common
 * case: whole chunks are checked with the native validator, and only chunks
 * that fail are searched for the offending offsets, which are kept (as
 * absolute stream offsets) until the records covering them have been read.
 */
export class Utf8Guard {
  private carry: Buffer = Buffer.alloc(0);
  private carryStart = 0;
  private bad: number[] = [];
  private badHead = 0;

  /** Checks the next chunk, which starts at absolute offset `start`. */
  feed(chunk: Buffer, start: number): void {
    const joined = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
    const joinedStart = this.carry.length > 0 ? this.carryStart : start;
    const end = completeUtf8Length(joined);
    this.check(joined, joinedStart, end);
    this.carry = Buffer.from(joined.subarray(end));
    this.carryStart = joinedStart + end;
  }

  /** At the end of the stream a pending partial character is itself invalid. */
  finish(): void {
    if (this.carry.length > 0) this.check(this.carry, this.carryStart, this.carry.length);
    this.carry = Buffer.alloc(0);
  }

  /** The first invalid offset in [from, to), or -1; offsets before `from` are forgotten. */
  firstBadIn(from: number, to: number): number {
    while (this.badHead < this.bad.length && this.bad[this.badHead]! < from) this.badHead++;
    if (this.badHead > 1024 && this.badHead * 2 > this.bad.length) {
      this.bad = this.bad.slice(this.badHead);
      this.badHead = 0;
    }
    const next = this.bad[this.badHead];
    return next !== undefined && next < to ? next : -1;
  }

  private check(buf: Buffer, absStart: number, end: number): void {
    if (isUtf8(buf.subarray(0, end))) return;
    let i = 0;
    while (i < end) {
      const at = firstInvalidUtf8(buf, i, end);
      if (at < 0) break;
      this.bad.push(absStart + at);
      i = at + 1;
    }
  }
}

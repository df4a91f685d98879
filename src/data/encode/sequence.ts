import type { SequenceFeatureIR } from "../../ir/types.js";
import type { RawValue } from "../record.js";
import type { CategoricalCodec } from "./categorical.js";
import { canonicalString } from "./canonical.js";

/** The id that fills unused slots of a sequence; the graph masks ids below 0. */
export const PAD_ID = -1;

/**
 * Encodes a sequence field into exactly `maxLen` ids, the items encoded like
 * the categorical feature it is `of` (so both share one embedding table).
 * Only the LAST `maxLen` items are kept: histories are written oldest first
 * and the recent end is what predicts. Empty items (a doubled or trailing
 * separator) are dropped rather than encoded, since they carry no item.
 */
export class SequenceCodec {
  readonly maxLen: number;
  private readonly sep: string;
  /** Ids collected newest first, before being written out oldest first. */
  private readonly reversed: Int32Array;

  constructor(
    feature: SequenceFeatureIR,
    private readonly items: CategoricalCodec,
  ) {
    this.maxLen = feature.maxLen;
    this.sep = feature.sep;
    this.reversed = new Int32Array(feature.maxLen);
  }

  /** Writes `maxLen` ids into `out` starting at `offset`. */
  encodeInto(value: RawValue | undefined, out: Int32Array, offset: number): void {
    let count: number;
    if (value === null || value === undefined) count = 0;
    else if (Array.isArray(value)) count = this.collectArray(value as unknown[]);
    else if (typeof value === "string") count = this.collectText(value);
    else count = this.collectOne(canonicalString(value));
    const reversed = this.reversed;
    for (let j = 0; j < count; j++) out[offset + j] = reversed[count - 1 - j]!;
    out.fill(PAD_ID, offset + count, offset + this.maxLen);
  }

  private collectOne(text: string): number {
    if (text === "") return 0;
    this.reversed[0] = this.items.encodeText(text);
    return 1;
  }

  /** JSONL may give the items as an array; null items are skipped like empty ones. */
  private collectArray(values: unknown[]): number {
    let count = 0;
    for (let i = values.length - 1; i >= 0 && count < this.maxLen; i--) {
      const item = values[i];
      if (item === null || item === undefined) continue;
      const text = typeof item === "string" ? item : String(item);
      if (text === "") continue;
      this.reversed[count++] = this.items.encodeText(text);
    }
    return count;
  }

  private collectText(text: string): number {
    const sep = this.sep;
    if (sep.length !== 1) return this.collectSplit(text);
    // Walk back from the end so a long history costs only its last maxLen items.
    let count = 0;
    let end = text.length;
    while (end >= 0 && count < this.maxLen) {
      const at = end === 0 ? -1 : text.lastIndexOf(sep, end - 1);
      if (end - at > 1) this.reversed[count++] = this.items.encodeText(text.slice(at + 1, end));
      end = at;
    }
    return count;
  }

  /** A separator of several characters can overlap itself ("||" in "a|||b"), so split forwards as the user reads it. */
  private collectSplit(text: string): number {
    const parts = text.split(this.sep);
    let count = 0;
    for (let i = parts.length - 1; i >= 0 && count < this.maxLen; i--) {
      const part = parts[i]!;
      if (part !== "") this.reversed[count++] = this.items.encodeText(part);
    }
    return count;
  }
}

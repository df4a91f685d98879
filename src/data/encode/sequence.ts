import type { SequenceFeatureIR } from "../../ir/types.js";
import type { RawValue } from "../record.js";
import type { CategoricalCodec } from "./categorical.js";
import { canonicalString } from "./canonical.js";
import { encodeSequence, PAD_ID } from "../../portable/encoding.js";

export { PAD_ID };

/**
 * Encodes a sequence field into exactly `maxLen` ids, the items encoded like
 * the categorical feature it is `of` (so both share one embedding table); see
 * encodeSequence (src/portable/encoding.ts) for which items are kept.
 */
export class SequenceCodec {
  readonly maxLen: number;
  private readonly sep: string;
  /** Ids collected newest first, before being written out oldest first. */
  private readonly scratch: Int32Array;
  private readonly itemId: (text: string) => number;

  constructor(feature: SequenceFeatureIR, items: CategoricalCodec) {
    this.maxLen = feature.maxLen;
    this.sep = feature.sep;
    this.scratch = new Int32Array(feature.maxLen);
    this.itemId = (text) => items.encodeText(text);
  }

  /** Writes `maxLen` ids into `out` starting at `offset`. */
  encodeInto(value: RawValue | undefined, out: Int32Array, offset: number): void {
    // A JSON number or boolean is one item, never split on the separator.
    const items = value === null || value === undefined || typeof value === "string" || Array.isArray(value) ? (value as string | unknown[] | null | undefined) : [canonicalString(value)];
    encodeSequence(items, this.sep, this.maxLen, this.itemId, out, offset, this.scratch);
  }
}

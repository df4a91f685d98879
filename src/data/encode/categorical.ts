import type { CategoricalFeatureIR } from "../../ir/types.js";
import type { RawValue } from "../record.js";
import { canonicalString } from "./canonical.js";
import { vocabularyIds } from "../../portable/encoding.js";
import { HASH_SEED, hashBucket, murmur3StringInt32, unsignedMod } from "../../portable/hash.js";

/** Maps one categorical value to its row in the feature's embedding table. */
export interface CategoricalCodec {
  /** Rows of the table; every id is in [0, rows). */
  readonly rows: number;
  /** The id of a missing value. */
  readonly missingId: number;
  encode(value: RawValue | undefined): number;
  /** The id of a value already in canonical string form (sequence items). */
  encodeText(text: string): number;
}

/**
 * Hash encoding. The missing value takes the bucket of the empty string
 * (with seed 0 that is bucket 0), so a reader that keeps "" as a value and
 * one that turns it into null agree.
 */
export class HashCodec implements CategoricalCodec {
  readonly missingId: number;
  private readonly inverse: number;

  constructor(readonly rows: number) {
    this.missingId = hashBucket("", rows);
    this.inverse = 1 / rows;
  }

  encode(value: RawValue | undefined): number {
    if (value === null || value === undefined) return this.missingId;
    return this.encodeText(typeof value === "string" ? value : canonicalString(value));
  }

  encodeText(text: string): number {
    return this.bucket(murmur3StringInt32(text, HASH_SEED));
  }

  /** The id of a value whose hash (murmur3, HASH_SEED) is `hash`: a reader may hash the value's UTF-8 bytes where they lie. */
  bucket(hash: number): number {
    return unsignedMod(hash, this.rows, this.inverse);
  }
}

/** Vocabulary encoding: row 0 is out-of-vocabulary (unknown or missing), vocab[i] is row i + 1. */
export class VocabCodec implements CategoricalCodec {
  readonly rows: number;
  readonly missingId = 0;
  private readonly ids: Map<string, number>;

  constructor(vocab: readonly string[]) {
    this.rows = vocab.length + 1;
    this.ids = vocabularyIds(vocab);
  }

  encode(value: RawValue | undefined): number {
    if (value === null || value === undefined) return 0;
    return this.ids.get(typeof value === "string" ? value : canonicalString(value)) ?? 0;
  }

  encodeText(text: string): number {
    return this.ids.get(text) ?? 0;
  }
}

export function createCategoricalCodec(feature: CategoricalFeatureIR): CategoricalCodec {
  return feature.encoding.type === "hash"
    ? new HashCodec(feature.encoding.buckets)
    : new VocabCodec(feature.encoding.vocab);
}

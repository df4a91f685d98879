/**
 * The arithmetic of feature encoding that a generated module must reproduce
 * exactly: numeric transforms and normalisation, vocabulary rows and sequence
 * ids. This file depends on nothing: mtl's encoder (src/data/encode) imports
 * it, and `mtl compile --target ts` embeds its text in the generated module.
 * Parsing and error messages stay with each side: mtl reads files and names
 * rows and fields, a generated module reads typed objects.
 */

/** The largest finite float32; anything beyond becomes Infinity in a tensor. */
export const FLOAT32_MAX = 3.4028234663852886e38;

export type Transform = "none" | "log1p" | "sqrt";
export type Normalize = "none" | "zscore" | "minmax";

/** Training statistics of one numeric feature (the fields of its entry in a model folder's encoding.json). */
export interface NumericStatistics {
  /** The raw value a missing field becomes, before the transform: the training mean, or 0. */
  fillValue: number;
  /** Of the transformed training values; `std` is the population deviation. */
  mean: number;
  std: number;
  min: number;
  max: number;
}

/** The transformed value, or NaN when `x` is outside the transform's domain. */
export function transformValue(transform: Transform, x: number): number {
  switch (transform) {
    case "none":
      return x;
    case "log1p":
      return x > -1 ? Math.log1p(x) : NaN;
    case "sqrt":
      return x >= 0 ? Math.sqrt(x) : NaN;
  }
}

/**
 * A normalised value is (transformed - center) / scale: zscore subtracts the
 * mean and divides by the deviation, minmax maps [min, max] to [0, 1]; a zero
 * deviation or range counts as 1, so a constant column encodes to 0.
 */
export function normalization(normalize: Normalize, stats: NumericStatistics): { center: number; scale: number } {
  switch (normalize) {
    case "none":
      return { center: 0, scale: 1 };
    case "zscore":
      return { center: stats.mean, scale: stats.std === 0 ? 1 : stats.std };
    case "minmax":
      return { center: stats.min, scale: stats.max === stats.min ? 1 : stats.max - stats.min };
  }
}

/** Vocabulary rows: vocab[i] is row i + 1; row 0 is every unknown or missing value. A repeated entry keeps its first row. */
export function vocabularyIds(vocab: readonly string[]): Map<string, number> {
  const ids = new Map<string, number>();
  for (let i = vocab.length - 1; i >= 0; i--) ids.set(vocab[i]!, i + 1);
  return ids;
}

/** The id that fills unused slots of a sequence; the model masks ids below 0. */
export const PAD_ID = -1;

/**
 * Writes exactly `maxLen` ids of a sequence field into `out` at `offset`.
 * Text is split on `sep` (an array is taken as the items); empty and null
 * items are dropped, since they carry no item; only the LAST `maxLen` items
 * are kept, in order (histories are written oldest first and the recent end
 * is what predicts); each is encoded by `itemId`, and the rest is padded with
 * PAD_ID. `scratch` (at least `maxLen` long) saves an allocation per call.
 */
export function encodeSequence(
  value: string | readonly unknown[] | null | undefined,
  sep: string,
  maxLen: number,
  itemId: (item: string) => number,
  out: Int32Array,
  offset: number,
  scratch: Int32Array = new Int32Array(maxLen),
): void {
  // Ids are collected newest first, walking back from the end, so a long history costs only its last maxLen items.
  let count = 0;
  if (value === null || value === undefined) {
    count = 0;
  } else if (typeof value !== "string") {
    for (let i = value.length - 1; i >= 0 && count < maxLen; i--) {
      const item = value[i];
      if (item === null || item === undefined) continue;
      const text = typeof item === "string" ? item : String(item);
      if (text !== "") scratch[count++] = itemId(text);
    }
  } else if (sep.length !== 1) {
    // A separator of several characters can overlap itself ("||" in "a|||b"), so split forwards as the user reads it.
    const parts = value.split(sep);
    for (let i = parts.length - 1; i >= 0 && count < maxLen; i--) {
      if (parts[i] !== "") scratch[count++] = itemId(parts[i]!);
    }
  } else {
    let end = value.length;
    while (end >= 0 && count < maxLen) {
      const at = end === 0 ? -1 : value.lastIndexOf(sep, end - 1);
      if (end - at > 1) scratch[count++] = itemId(value.slice(at + 1, end));
      end = at;
    }
  }
  for (let j = 0; j < count; j++) out[offset + j] = scratch[count - 1 - j]!;
  out.fill(PAD_ID, offset + count, offset + maxLen);
}

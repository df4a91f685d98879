/**
 * Source text of the helpers the generated module carries besides the
 * embedded src/portable modules: vocabulary, sequence and numeric encoding
 * (written plainly; the runtime's encoder is columnar and tuned for the
 * training loop; the equivalence tests check they compute exactly the same
 * numbers), and weight loading.
 */

export const VOCAB_HELPER = `
/** Vocabulary rows: vocab[i] is row i + 1; row 0 is every unknown or missing value. A repeated entry keeps its first row. */
function vocabularyIds(vocab: readonly string[]): Map<string, number> {
  const ids = new Map<string, number>();
  for (let i = vocab.length - 1; i >= 0; i--) ids.set(vocab[i]!, i + 1);
  return ids;
}
`;

export const SEQUENCE_HELPER = `
/** The id that fills unused slots of a sequence; the model masks ids below 0. */
const PAD_ID = -1;

/**
 * Writes exactly \`maxLen\` ids of a sequence field into \`out\` at \`offset\`:
 * the field is split on \`sep\` (an array is taken as the items), empty and
 * null items are dropped, the LAST \`maxLen\` items are kept in order, each is
 * encoded like the feature the sequence is of, and the rest is padded with -1.
 */
function encodeSequence(
  value: string | readonly (string | null)[] | null | undefined,
  sep: string,
  maxLen: number,
  itemId: (item: string) => number,
  out: Int32Array,
  offset: number,
): void {
  const items = value == null ? [] : (typeof value === "string" ? value.split(sep) : value).filter((item): item is string => item != null && item !== "");
  const kept = items.slice(Math.max(0, items.length - maxLen));
  for (let j = 0; j < maxLen; j++) out[offset + j] = j < kept.length ? itemId(kept[j]!) : PAD_ID;
}
`;

export const NUMERIC_HELPERS = `
/** Training statistics of one numeric feature (the fields of its entry in a model folder's encoding.json). */
export interface NumericStatistics {
  /** The raw value a missing field becomes, before the transform: the training mean, or 0. */
  fillValue: number;
  /** Of the transformed training values; \`std\` is the population deviation. */
  mean: number;
  std: number;
  min: number;
  max: number;
}

/** The largest finite float32; a larger value cannot be fed to the model. */
const FLOAT32_MAX = 3.4028234663852886e38;

type Transform = "none" | "log1p" | "sqrt";
type Normalize = "none" | "zscore" | "minmax";

function transformed(feature: string, transform: Transform, x: number): number {
  if (transform === "none") return x;
  if (transform === "log1p" && x > -1) return Math.log1p(x);
  if (transform === "sqrt" && x >= 0) return Math.sqrt(x);
  throw new RangeError(\`feature '\${feature}': transform \${transform} needs a value \${transform === "log1p" ? "greater than -1" : "at least 0"}, got \${x}\`);
}

/**
 * The encoder of one numeric feature: fill a missing value, transform, then
 * normalize with the training statistics (zscore: (v - mean) / std with a zero
 * std counting as 1; minmax: (v - min) / (max - min) with a zero range counting as 1).
 */
function numericEncoder(
  feature: string,
  transform: Transform,
  normalize: Normalize,
  stats: NumericStatistics,
): (value: number | null | undefined) => number {
  const center = normalize === "zscore" ? stats.mean : normalize === "minmax" ? stats.min : 0;
  const scale =
    normalize === "zscore"
      ? stats.std === 0 ? 1 : stats.std
      : normalize === "minmax"
        ? stats.max === stats.min ? 1 : stats.max - stats.min
        : 1;
  const missing = (transformed(feature, transform, stats.fillValue) - center) / scale;
  return (value) => {
    if (value == null) return missing;
    if (!Number.isFinite(value) || Math.abs(value) > FLOAT32_MAX) {
      throw new RangeError(\`feature '\${feature}': \${value} is not a finite number a 32-bit float can hold\`);
    }
    return (transformed(feature, transform, value) - center) / scale;
  };
}
`;

export const LAYER_HELPERS = `
/** Applies a layer to symbolic tensors (the functional API's typing is loose). */
function apply(layer: tf.layers.Layer, input: tf.SymbolicTensor | tf.SymbolicTensor[]): tf.SymbolicTensor {
  return layer.apply(input) as tf.SymbolicTensor;
}
`;

export const LOAD_WEIGHTS = `
/** The part of a TF.js model.json that locates the weights. */
export interface WeightsManifest {
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

/**
 * Loads trained weights into a model from buildModel(): \`manifest\` is the
 * parsed model.json of a model folder written by \`mtl train\`, and
 * \`readWeightFile\` returns the bytes of a file it names (relative to that
 * folder). Weights are matched by name (e.g. \`tower_ctr_tower_dense_0/kernel\`);
 * a missing or extra weight is an error. In Node:
 *
 *   const dir = "model/";
 *   await loadWeights(model, JSON.parse(readFileSync(join(dir, "model.json"), "utf8")),
 *     (file) => readFileSync(join(dir, file)));
 *
 * In a browser, \`(file) => fetch(base + file).then((r) => r.arrayBuffer())\`.
 */
export async function loadWeights(
  model: tf.LayersModel,
  manifest: WeightsManifest,
  readWeightFile: (path: string) => ArrayBuffer | Uint8Array | Promise<ArrayBuffer | Uint8Array>,
): Promise<void> {
  const specs: tf.io.WeightsManifestEntry[] = [];
  const parts: Uint8Array[] = [];
  for (const group of manifest.weightsManifest) {
    specs.push(...group.weights);
    for (const path of group.paths) {
      const data = await readWeightFile(path);
      parts.push(data instanceof Uint8Array ? data : new Uint8Array(data));
    }
  }
  const joined = new Uint8Array(parts.reduce((total, part) => total + part.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.byteLength;
  }
  const tensors = tf.io.decodeWeights(joined.buffer, specs);
  try {
    model.loadWeights(tensors, true);
  } finally {
    tf.dispose(Object.values(tensors));
  }
}
`;

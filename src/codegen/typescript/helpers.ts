/**
 * Source text of the helpers the generated module carries: the hash of
 * src/data/encode/murmur3.ts, the custom layers of
 * src/runtime/graph/custom-layers.ts and the small graph builders. They are
 * written plainly (the runtime's versions are tuned for the training loop);
 * the equivalence tests check they compute exactly the same numbers.
 */

export const HASH_HELPERS = `
/** The seed of every categorical hash; fixed forever, or trained embedding rows would be scrambled. */
const HASH_SEED = 0;

/** UTF-8 bytes of \`text\`; a lone surrogate becomes U+FFFD, as TextEncoder and Buffer write it. */
function utf8(text: string): number[] {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
      } else {
        c = 0xfffd;
      }
    }
    if (c < 0x80) bytes.push(c);
    else if (c < 0x800) bytes.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    else if (c < 0x10000) bytes.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
    else bytes.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 0x3f), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
  }
  return bytes;
}

/**
 * MurmurHash3, x86 32-bit variant (Austin Appleby's public-domain reference),
 * of the UTF-8 bytes of \`text\`, as an unsigned integer: equals Python's
 * \`mmh3.hash(text, 0, signed=False)\`.
 */
function murmur3(text: string): number {
  const bytes = utf8(text);
  const length = bytes.length;
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  let h = HASH_SEED;
  let i = 0;
  for (; i + 4 <= length; i += 4) {
    let k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = length & 3;
  if (tail > 0) {
    let k = bytes[i]!;
    if (tail > 1) k |= bytes[i + 1]! << 8;
    if (tail > 2) k |= bytes[i + 2]! << 16;
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The row of a hashed categorical value: murmur3(text) mod buckets. A missing value hashes as "" (bucket 0). */
function hashBucket(text: string, buckets: number): number {
  return murmur3(text) % buckets;
}
`;

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

export const MLP_HELPER = `
type Activation = "relu" | "tanh" | "sigmoid" | "elu" | "selu" | "gelu" | "swish" | "linear";

interface MlpOptions {
  units: number[];
  activation: Activation;
  dropout: number;
  batchNorm: boolean;
}

/**
 * Dense -> [BatchNormalization] -> activation -> [Dropout] per layer, named
 * \`<prefix>_{dense,bn,act,dropout}_<j>\`. With batch norm the Dense has no
 * bias (BN's beta replaces it) and the activation follows the normalisation.
 */
function mlp(prefix: string, input: tf.SymbolicTensor, options: MlpOptions): tf.SymbolicTensor {
  let x = input;
  options.units.forEach((units, j) => {
    x = apply(
      tf.layers.dense({
        name: \`\${prefix}_dense_\${j}\`,
        units,
        activation: options.batchNorm ? "linear" : options.activation,
        useBias: !options.batchNorm,
      }),
      x,
    );
    if (options.batchNorm) {
      x = apply(tf.layers.batchNormalization({ name: \`\${prefix}_bn_\${j}\`, axis: -1 }), x);
      if (options.activation !== "linear") {
        x = apply(tf.layers.activation({ name: \`\${prefix}_act_\${j}\`, activation: options.activation }), x);
      }
    }
    if (options.dropout > 0) {
      x = apply(tf.layers.dropout({ name: \`\${prefix}_dropout_\${j}\`, rate: options.dropout }), x);
    }
  });
  return x;
}
`;

export const GATE_HELPER = `
/**
 * softmax(W input) · [f_1 .. f_n]: the experts (each [batch, width]) are
 * stacked to [batch, n, width] and a Dot over the expert axis mixes them with
 * the gate's n weights. Layers: \`<prefix>\` (the softmax Dense),
 * \`<prefix>_expert_<k>_row\`, \`<prefix>_stack\`, \`<prefix>_mix\`.
 */
function gate(prefix: string, input: tf.SymbolicTensor, experts: tf.SymbolicTensor[], width: number): tf.SymbolicTensor {
  const weights = apply(tf.layers.dense({ name: prefix, units: experts.length, activation: "softmax" }), input);
  const rows = experts.map((expert, k) =>
    apply(tf.layers.reshape({ name: \`\${prefix}_expert_\${k}_row\`, targetShape: [1, width] }), expert),
  );
  const stacked = rows.length === 1 ? rows[0]! : apply(tf.layers.concatenate({ name: \`\${prefix}_stack\`, axis: 1 }), rows);
  return apply(tf.layers.dot({ name: \`\${prefix}_mix\`, axes: 1 }), [weights, stacked]);
}
`;

export const CUSTOM_LAYERS = `
type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;
type Shape = (number | null)[];

/**
 * Clamps ids into [0, maxId] before an Embedding lookup: sequences are padded
 * with -1, which a gather cannot read. The padded positions are masked out
 * afterwards by MaskedSequencePooling, which reads the unclamped ids.
 * Registered as "ClampIds", like mtl's own, so saved topologies load either way.
 */
class ClampIds extends tf.layers.Layer {
  static className = "ClampIds";
  readonly maxId: number;

  constructor(args: LayerArgs & { maxId: number }) {
    super(args);
    this.maxId = args.maxId;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const raw = Array.isArray(inputs) ? inputs[0]! : inputs;
      const ids = raw.dtype === "int32" ? raw : tf.cast(raw, "int32");
      // Not clipByValue: the wasm backend clips int32 data as float bits.
      return tf.minimum(tf.maximum(ids, tf.scalar(0, "int32")), tf.scalar(this.maxId, "int32"));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), maxId: this.maxId };
  }
}

/** Lower than any embedding value, but finite so no inf reaches arithmetic. */
const MASKED_FOR_MAX = -3.0e38;

/**
 * Pools [batch, maxLen, dim] embeddings over the positions whose id is >= 0.
 * Inputs: [embeddings, raw ids]. A row with no items pools to zeros for every
 * mode (mean divides by max(count, 1); max replaces the empty row by 0).
 */
class MaskedSequencePooling extends tf.layers.Layer {
  static className = "MaskedSequencePooling";
  readonly mode: "mean" | "sum" | "max";

  constructor(args: LayerArgs & { mode: "mean" | "sum" | "max" }) {
    super(args);
    this.mode = args.mode;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const embShape = inputShape[0] as Shape;
    return [embShape[0]!, embShape[2]!];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [emb, ids] = inputs as [tf.Tensor3D, tf.Tensor2D];
      const present = tf.expandDims(tf.greaterEqual(ids, 0), -1); // [b, len, 1] bool
      const weights = tf.cast(present, "float32");
      const count = tf.sum(weights, 1); // [b, 1]
      if (this.mode === "max") {
        const floor = tf.fill(emb.shape, MASKED_FOR_MAX);
        const masked = tf.where(tf.broadcastTo(present, emb.shape), emb, floor);
        const best = tf.max(masked, 1);
        const nonEmpty = tf.broadcastTo(tf.greater(count, 0), best.shape);
        return tf.where(nonEmpty, best, tf.zerosLike(best));
      }
      const total = tf.sum(tf.mul(emb, weights), 1);
      return this.mode === "sum" ? total : tf.div(total, tf.maximum(count, 1));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), mode: this.mode };
  }
}

tf.serialization.registerClass(ClampIds);
tf.serialization.registerClass(MaskedSequencePooling);
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

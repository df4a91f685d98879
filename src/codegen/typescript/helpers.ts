/**
 * Source text of the helpers only a generated module needs, besides the
 * embedded src/portable modules: numeric encoding of typed values with its
 * errors (the arithmetic is portable/encoding.ts), layer application and
 * weight loading.
 */

export const NUMERIC_HELPERS = `
type NumericValue = number | null | undefined;

/**
 * The encoder of one numeric feature: fill a missing value, transform, then
 * normalize with the training statistics (see normalization()).
 */
function numericEncoder(feature: string, transform: Transform, normalize: Normalize, stats: NumericStatistics): (value: NumericValue) => number {
  const { center, scale } = normalization(normalize, stats);
  const encoded = (x: number): number => {
    const t = transformValue(transform, x);
    if (Number.isNaN(t)) {
      throw new RangeError(\`feature '\${feature}': transform \${transform} needs a value \${transform === "log1p" ? "greater than -1" : "at least 0"}, got \${x}\`);
    }
    const v = (t - center) / scale;
    if (!(Math.abs(v) <= FLOAT32_MAX)) {
      throw new RangeError(\`feature '\${feature}': \${x} is beyond the 32-bit float range once normalized\`);
    }
    return v;
  };
  const missing = encoded(stats.fillValue);
  return (value) => {
    if (value == null) return missing;
    if (!Number.isFinite(value) || Math.abs(value) > FLOAT32_MAX) {
      throw new RangeError(\`feature '\${feature}': \${value} is not a finite number a 32-bit float can hold\`);
    }
    return encoded(value);
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

import { nonFiniteCount } from "../util/finite.js";

/** The part of a TF.js model.json that lays out the weight files. */
export interface WeightsLayout {
  weightsManifest?: { paths?: unknown; weights?: { name: string; shape: number[]; dtype?: string; quantization?: unknown }[] }[];
}

export interface NonFiniteWeight {
  /** The weight file (or files) holding it, relative to the folder. */
  file: string;
  /** The weight's name in model.json, e.g. `tower_ctr_tower_dense_0/kernel`. */
  name: string;
  /** Its NaN and infinite values, and all its values. */
  bad: number;
  size: number;
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };

/**
 * The first float weight holding NaN or an infinity, or null. Such a model
 * (training diverged, or the file was edited under a rewritten manifest)
 * scores NaN for every row and would be served silently: TensorFlow.js loads
 * it without complaint. Weights are read as model.json lays them out: each
 * group's files joined, its weights one after another; `read` gives a file's
 * bytes by its path relative to the folder (the model folder's bounded reader).
 */
export function firstNonFiniteSavedWeight(layout: WeightsLayout, read: (file: string) => Uint8Array): NonFiniteWeight | null {
  for (const group of layout.weightsManifest ?? []) {
    const paths = (Array.isArray(group.paths) ? group.paths : []).map(String);
    const files = paths.map((p) => read(p));
    // One file (what mtl writes) is read where it is; several are joined.
    const bytes = files.length === 1 ? files[0]! : joined(files);
    let offset = 0;
    for (const weight of group.weights ?? []) {
      const dtype = weight.dtype ?? "float32";
      const width = BYTES[dtype];
      // A layout this code does not write: the offsets of later weights are unknown, so stop here.
      if (width === undefined || weight.quantization !== undefined || !Array.isArray(weight.shape)) break;
      const size = weight.shape.reduce((n, d) => n * d, 1);
      if (dtype === "float32" && offset + size * 4 <= bytes.length) {
        const at = bytes.byteOffset + offset;
        const values = at % 4 === 0 ? new Float32Array(bytes.buffer, at, size) : new Float32Array(bytes.buffer.slice(at, at + size * 4));
        const bad = nonFiniteCount(values);
        if (bad > 0) return { file: paths.join(", "), name: weight.name, bad, size };
      }
      offset += size * width;
    }
  }
  return null;
}

function joined(files: readonly Uint8Array[]): Uint8Array {
  const bytes = new Uint8Array(files.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const f of files) {
    bytes.set(f, at);
    at += f.length;
  }
  return bytes;
}

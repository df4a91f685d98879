/**
 * TensorFlow.js "layers-model" format on the local file system: a folder with
 * model.json and one weight file, readable by tf.loadLayersModel here and by
 * any TF.js loader that is pointed at the folder.
 *
 * Writes are atomic. The weight file is named by a hash of its bytes and
 * written first (temp file, fsync, rename); model.json is then replaced the
 * same way, and that rename is the commit: a reader sees either the old
 * model.json with the old weights (still present) or the new one with the
 * new weights, never a mix or a torn file. Weight files that model.json no
 * longer names are removed afterwards.
 */
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import * as tf from "#tfjs";
import { trackTempFile, untrackTempFile } from "../../util/temp-files.js";
import { ALIGNED_MIN_BYTES, ownAlignedStorage, wasmView } from "../backend/tensor-memory.js";
// Loading must be able to rebuild the custom layers whoever imports this module.
import "../../portable/layers.js";
import { topologyProblem } from "./topology-check.js";
import { joinWeights, MODEL_JSON, modelJsonOf, weightsFileName, WEIGHTS_FILE } from "./model-json.js";
import { parseJsonText } from "../../data/readers/json-syntax.js";

export { MODEL_JSON };

/** A file as written: its size and SHA-256, from the bytes in memory (so nobody reads the file back to hash it). */
export type WrittenFile = (name: string, fingerprint: { bytes: number; sha256: string }) => void;

/** A model folder's files as the caller already read (and checked) them, by name (model-dir/folder.ts). */
export type ReadFile = (name: string) => Uint8Array;

/** With `read`, loading takes model.json and the weight files from it instead of the disk. */
export function fileSystemHandler(dir: string, written?: WrittenFile, read?: ReadFile): tf.io.IOHandler {
  return {
    save: (artifacts) => saveArtifacts(dir, artifacts, written),
    load: () => loadArtifacts(dir, read),
  };
}

/**
 * Saves `model` into `dir`; `written` hears of model.json and the weight file with their fingerprints.
 * The files are those of `model.save(fileSystemHandler(dir))` byte for byte (save-load.test.ts compares
 * them), but each weight's bytes go from the tensor's own storage to the file, hashed as they are
 * written: TF.js's save copies every weight out of the backend, joins the copies into one buffer and
 * joins that again (about 1.5 s of a 170 MB model, measured, against about 0.3 s for this).
 */
export async function saveModel(model: tf.LayersModel, dir: string, written?: WrittenFile): Promise<tf.io.SaveResult> {
  const weights = model.weights.map((w) => ({ name: w.originalName, tensor: w.read() }));
  if (!weights.every((w) => DIRECT_DTYPES.has(w.tensor.dtype))) return model.save(fileSystemHandler(dir, written));
  // What LayersModel.save puts in its artifacts without a SaveConfig (tfjs-layers' training.ts).
  const artifacts: tf.io.ModelArtifacts = {
    modelTopology: model.toJSON(null, false) as tf.io.ModelArtifacts["modelTopology"],
    format: "layers-model",
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
    convertedBy: null,
  };
  const metadata = model.getUserDefinedMetadata();
  if (metadata != null) artifacts.userDefinedMetadata = metadata;
  artifacts.weightSpecs = weights.map(({ name, tensor }) => ({ name, shape: tensor.shape, dtype: tensor.dtype }) as tf.io.WeightsManifestEntry);
  await fs.mkdir(dir, { recursive: true });
  const file = await writeWeightFile(dir, weights.map((w) => w.tensor));
  return commitModel(dir, artifacts, file, written);
}

/** The dtypes whose weight bytes are their values' bytes (encodeWeights writes strings and complex numbers otherwise). */
const VALUE_ARRAYS: Partial<Record<tf.DataType, typeof Float32Array | typeof Int32Array | typeof Uint8Array>> = { float32: Float32Array, int32: Int32Array, bool: Uint8Array };
const DIRECT_DTYPES: ReadonlySet<tf.DataType> = new Set(Object.keys(VALUE_ARRAYS) as tf.DataType[]);

/**
 * The tensors' values, one after the other, written atomically (temp file, fsync, rename) to the file named
 * by their SHA-256. The bytes are written and synced by libuv's pool while this thread hashes them (about
 * 0.3 s of a 170 MB model hidden, measured). The caller runs no TF.js call meanwhile (the trainer awaits
 * the save), so the wasm heap does not move under a view; the temp file is tracked while it exists.
 */
async function writeWeightFile(dir: string, tensors: tf.Tensor[]): Promise<{ name: string; bytes: number; sha256: string }> {
  const temp = path.join(dir, `.weights.bin.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  trackTempFile(temp);
  const hash = createHash("sha256");
  let bytes = 0;
  try {
    const handle = await fs.open(temp, "wx");
    try {
      const views = tensors.map(valueBytes);
      // Every write queued at once at its own offset, and the fsync issued as soon as they are done: while this
      // thread hashes, yielding between weights so that the fsync can start (about 0.1 s of a 170 MB model hidden).
      const writes = views.map((values) => {
        const at = bytes;
        bytes += values.byteLength;
        return writeAllAt(handle, values, at);
      });
      const synced = Promise.all(writes).then(() => handle.sync());
      // Awaited below; a failed write must not count as unhandled meanwhile.
      synced.catch(() => undefined);
      for (const values of views) {
        hash.update(values);
        await new Promise<void>((turn) => setImmediate(turn));
      }
      await synced;
    } finally {
      await handle.close();
    }
    const sha256 = hash.digest("hex");
    const name = weightsFileName(sha256);
    await fs.rename(temp, path.join(dir, name));
    return { name, bytes, sha256 };
  } catch (err) {
    await fs.rm(temp, { force: true });
    throw err;
  } finally {
    untrackTempFile(temp);
  }
}

/** `bytes` written at `position`. A write may take less than asked (large buffers, some file systems): loop until all is out. The first write is issued at once. */
async function writeAllAt(handle: fs.FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  for (let offset = 0; offset < bytes.byteLength; ) offset += (await handle.write(bytes, offset, bytes.byteLength - offset, position + offset)).bytesWritten;
}

/** A tensor's values as bytes: a view of the wasm heap where they live there, else a copy (dataSync). */
function valueBytes(tensor: tf.Tensor): Uint8Array {
  const values =
    tf.getBackend() === "wasm" ? wasmView<Float32Array | Int32Array | Uint8Array>(tf.engine().backend, tensor, VALUE_ARRAYS[tensor.dtype]!) : (tensor.dataSync() as Float32Array | Int32Array | Uint8Array);
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/** The model in `dir`; with `read`, from the files as the caller read them (see fileSystemHandler). */
export async function loadModel(dir: string, read?: ReadFile): Promise<tf.LayersModel> {
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(fileSystemHandler(dir, undefined, read));
  } catch (err) {
    throw new Error(oneLineReason(err));
  }
  // The large weights (embedding tables) on cache lines, as a built model's are (tensor-memory.ts unfilledFloat32):
  // loaded, most 16-float rows straddle two lines, and the fused forward pass's gathers of 1,000 candidates took 1.4x as long.
  if (tf.getBackend() === "wasm") {
    for (const weight of model.weights) {
      const variable = weight.read() as tf.Variable; // a LayerVariable's value is a tf.Variable
      if (variable.size * 4 >= ALIGNED_MIN_BYTES) ownAlignedStorage(variable);
    }
  }
  return model;
}

/** Deeper in a damaged model.json, TensorFlow.js throws its internals ("Cannot read properties of undefined"). */
const INTERNAL = /undefined|Cannot read|is not a function|is not iterable|TypeError|Maximum call stack/;

/**
 * TensorFlow.js's errors about a damaged model.json run over many lines
 * ("Unknown layer: X. This may be due to one of the following reasons: 1. ...")
 * or quote whole layer configs; a message must stay one line, so this keeps
 * the first sentence, short, and says "damaged" where only internals are left.
 */
function oneLineReason(err: unknown): string {
  const first = (err instanceof Error ? err.message : String(err)).split("\n")[0]!.replace(/\s*This may be due to.*$/, "").trim();
  if (first === "" || INTERNAL.test(first)) return "its model description is damaged";
  return first.length > 160 ? `${first.slice(0, 157)}...` : first;
}

async function saveArtifacts(dir: string, artifacts: tf.io.ModelArtifacts, written?: WrittenFile): Promise<tf.io.SaveResult> {
  if (artifacts.modelTopology instanceof ArrayBuffer) {
    throw new Error("a binary (graph-model) topology cannot be saved as a layers model");
  }
  await fs.mkdir(dir, { recursive: true });
  const weights = new Uint8Array(joinWeights(artifacts.weightData));
  const sha256 = createHash("sha256").update(weights).digest("hex");
  const name = weightsFileName(sha256);
  await writeAtomic(dir, name, weights);
  return commitModel(dir, artifacts, { name, bytes: weights.byteLength, sha256 }, written);
}

/** After the weight file: model.json (whose rename is the commit), the folder synced, stale weight files removed. */
async function commitModel(dir: string, artifacts: tf.io.ModelArtifacts, weights: { name: string; bytes: number; sha256: string }, written?: WrittenFile): Promise<tf.io.SaveResult> {
  const weightsName = weights.name;
  const modelJson = modelJsonOf(artifacts, weightsName);
  const modelJsonBytes = new TextEncoder().encode(JSON.stringify(modelJson));

  await writeAtomic(dir, MODEL_JSON, modelJsonBytes);
  written?.(weightsName, { bytes: weights.bytes, sha256: weights.sha256 });
  written?.(MODEL_JSON, { bytes: modelJsonBytes.byteLength, sha256: createHash("sha256").update(modelJsonBytes).digest("hex") });
  await syncDirectory(dir);
  await removeStaleWeights(dir, weightsName);

  return {
    modelArtifactsInfo: {
      dateSaved: new Date(),
      modelTopologyType: "JSON",
      modelTopologyBytes: JSON.stringify(modelJson.modelTopology).length,
      weightSpecsBytes: JSON.stringify(modelJson.weightsManifest[0]!.weights).length,
      weightDataBytes: weights.bytes,
    },
  };
}

async function loadArtifacts(dir: string, read?: ReadFile): Promise<tf.io.ModelArtifacts> {
  const jsonPath = path.join(dir, MODEL_JSON);
  let modelJson: tf.io.ModelJSON;
  try {
    const text = read ? Buffer.from(read(MODEL_JSON)).toString("utf8") : await fs.readFile(jsonPath, "utf8");
    modelJson = parseJsonText(text) as tf.io.ModelJSON;
  } catch (err) {
    throw new Error(`cannot read a TF.js model from ${jsonPath}: ${(err as Error).message}`);
  }
  if (modelJson.modelTopology == null || !Array.isArray(modelJson.weightsManifest)) {
    throw new Error(`${jsonPath} is not a TF.js layers model (no modelTopology or weightsManifest)`);
  }
  const problem = topologyProblem(modelJson.modelTopology);
  if (problem !== null) throw new Error(`its layer graph is broken: ${problem}`);
  return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
    const specs: tf.io.WeightsManifestEntry[] = [];
    const buffers: ArrayBuffer[] = [];
    for (const group of manifest) {
      specs.push(...group.weights);
      for (const file of group.paths) buffers.push(await readWeightFile(dir, file, read));
    }
    // One file (what saveModel writes) is handed over as it is: joining copies even one buffer.
    return [specs, buffers.length === 1 ? buffers[0]! : tf.io.CompositeArrayBuffer.join(buffers)];
  });
}

async function readWeightFile(dir: string, file: string, read?: ReadFile): Promise<ArrayBuffer> {
  const root = path.resolve(dir);
  const full = path.resolve(root, file);
  if (path.dirname(full) !== root) {
    throw new Error(`weight file '${file}' in ${MODEL_JSON} is outside the model folder`);
  }
  const bytes = read ? read(file) : await fs.readFile(full);
  // A buffer of its own is used as it is (the caller's, read to its exact size); a view into a larger one is copied out.
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) return bytes.buffer;
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** Temp file in the same folder (so rename stays atomic), fsync, rename. */
async function writeAtomic(dir: string, name: string, bytes: Uint8Array): Promise<void> {
  const target = path.join(dir, name);
  const temp = path.join(dir, `.${name}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  trackTempFile(temp);
  try {
    const handle = await fs.open(temp, "wx");
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, target);
  } catch (err) {
    await fs.rm(temp, { force: true });
    throw err;
  } finally {
    untrackTempFile(temp);
  }
}

/** Makes the renames durable; some platforms cannot fsync a folder, which only weakens durability. */
async function syncDirectory(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, "r");
    await handle.sync();
  } catch {
    // Best effort: the data files themselves were fsynced.
  } finally {
    await handle?.close();
  }
}

async function removeStaleWeights(dir: string, keep: string): Promise<void> {
  for (const entry of await fs.readdir(dir)) {
    if (entry !== keep && WEIGHTS_FILE.test(entry)) await fs.rm(path.join(dir, entry), { force: true });
  }
}

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
import * as tf from "@tensorflow/tfjs";
import { trackTempFile, untrackTempFile } from "../../util/temp-files.js";
// Loading must be able to rebuild the custom layers whoever imports this module.
import "../../portable/layers.js";
import { topologyProblem } from "./topology-check.js";
import { joinWeights, MODEL_JSON, modelJsonOf, weightsFileName, WEIGHTS_FILE } from "./model-json.js";
import { parseJsonText } from "../../data/readers/json-syntax.js";

export { MODEL_JSON };

/** A file as written: its size and SHA-256, from the bytes in memory (so nobody reads the file back to hash it). */
export type WrittenFile = (name: string, fingerprint: { bytes: number; sha256: string }) => void;

export function fileSystemHandler(dir: string, written?: WrittenFile): tf.io.IOHandler {
  return {
    save: (artifacts) => saveArtifacts(dir, artifacts, written),
    load: () => loadArtifacts(dir),
  };
}

/** Saves `model` into `dir`; `written` hears of model.json and the weight file with their fingerprints. */
export async function saveModel(model: tf.LayersModel, dir: string, written?: WrittenFile): Promise<tf.io.SaveResult> {
  return model.save(fileSystemHandler(dir, written));
}

export async function loadModel(dir: string): Promise<tf.LayersModel> {
  try {
    return await tf.loadLayersModel(fileSystemHandler(dir));
  } catch (err) {
    throw new Error(oneLineReason(err));
  }
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
  const weightsHash = createHash("sha256").update(weights).digest("hex");
  const weightsName = weightsFileName(weightsHash);
  const modelJson = modelJsonOf(artifacts, weightsName);
  const modelJsonBytes = new TextEncoder().encode(JSON.stringify(modelJson));

  await writeAtomic(dir, weightsName, weights);
  await writeAtomic(dir, MODEL_JSON, modelJsonBytes);
  written?.(weightsName, { bytes: weights.byteLength, sha256: weightsHash });
  written?.(MODEL_JSON, { bytes: modelJsonBytes.byteLength, sha256: createHash("sha256").update(modelJsonBytes).digest("hex") });
  await syncDirectory(dir);
  await removeStaleWeights(dir, weightsName);

  return {
    modelArtifactsInfo: {
      dateSaved: new Date(),
      modelTopologyType: "JSON",
      modelTopologyBytes: JSON.stringify(modelJson.modelTopology).length,
      weightSpecsBytes: JSON.stringify(modelJson.weightsManifest[0]!.weights).length,
      weightDataBytes: weights.byteLength,
    },
  };
}

async function loadArtifacts(dir: string): Promise<tf.io.ModelArtifacts> {
  const jsonPath = path.join(dir, MODEL_JSON);
  let modelJson: tf.io.ModelJSON;
  try {
    modelJson = parseJsonText(await fs.readFile(jsonPath, "utf8")) as tf.io.ModelJSON;
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
      for (const file of group.paths) buffers.push(await readWeightFile(dir, file));
    }
    return [specs, tf.io.CompositeArrayBuffer.join(buffers)];
  });
}

async function readWeightFile(dir: string, file: string): Promise<ArrayBuffer> {
  const root = path.resolve(dir);
  const full = path.resolve(root, file);
  if (path.dirname(full) !== root) {
    throw new Error(`weight file '${file}' in ${MODEL_JSON} is outside the model folder`);
  }
  const bytes = await fs.readFile(full);
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

import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type * as tf from "@tensorflow/tfjs";
import { parseEncoding, serializeEncoding, type EncodingState } from "../data/encode/index.js";
import type { ModelIR } from "../ir/types.js";
import { validateIr } from "../ir/validate.js";
import { loadModel, MODEL_JSON, saveModel } from "../runtime/graph/index.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { ModelDirError } from "./errors.js";

export { ModelDirError };

/**
 * A trained model's folder:
 *   model.json + weights.*.bin   TensorFlow.js layers model (tf.loadLayersModel)
 *   encoding.json                fitted feature statistics
 *   ir.json, spec.mtl            what was trained
 *   metrics.json                 final metrics
 *   manifest.json                size and SHA-256 of every file above, written last
 * Every file is written atomically; the manifest is the commit point, and
 * loading checks every file against it, so a torn, truncated or altered file
 * is refused instead of predicting garbage.
 */
export const MANIFEST = "manifest.json";

export interface ModelDirContents {
  ir: ModelIR;
  encoding: EncodingState;
  model: tf.LayersModel;
  spec: string;
}

interface Manifest {
  format: "mtl-model";
  version: 1;
  files: Record<string, { bytes: number; sha256: string }>;
}

export async function saveModelDir(dir: string, contents: ModelDirContents & { metrics: unknown }): Promise<void> {
  await saveModel(contents.model, dir);
  writeFileAtomic(join(dir, "encoding.json"), serializeEncoding(contents.encoding));
  writeFileAtomic(join(dir, "ir.json"), JSON.stringify(contents.ir, null, 2) + "\n");
  writeFileAtomic(join(dir, "spec.mtl"), contents.spec);
  writeFileAtomic(join(dir, "metrics.json"), JSON.stringify(contents.metrics, null, 2) + "\n");
  const modelJson = JSON.parse(readFileSync(join(dir, MODEL_JSON), "utf8")) as { weightsManifest: { paths: string[] }[] };
  const names = [MODEL_JSON, ...modelJson.weightsManifest.flatMap((g) => g.paths), "encoding.json", "ir.json", "spec.mtl", "metrics.json"];
  const manifest: Manifest = { format: "mtl-model", version: 1, files: Object.fromEntries(names.map((n) => [n, fingerprint(join(dir, n))])) };
  writeFileAtomic(join(dir, MANIFEST), JSON.stringify(manifest, null, 2) + "\n");
}

export async function loadModelDir(dir: string): Promise<ModelDirContents> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ModelDirError(`'${dir}' is not a model folder; pass the --out folder of 'mtl train'`);
  const manifest = readManifest(dir);
  for (const [name, expected] of Object.entries(manifest.files)) {
    const path = join(dir, name);
    if (!existsSync(path)) throw new ModelDirError(`${path} is missing; the model folder is incomplete, train again or restore it`);
    const actual = fingerprint(path);
    if (actual.bytes !== expected.bytes) throw new ModelDirError(`${path} has ${actual.bytes} bytes, the manifest says ${expected.bytes}: the file is truncated or was replaced`);
    if (actual.sha256 !== expected.sha256) throw new ModelDirError(`${path} does not match its checksum in ${MANIFEST}: the file was altered or corrupted`);
  }
  const ir = JSON.parse(readFileSync(join(dir, "ir.json"), "utf8")) as ModelIR;
  const violations = validateIr(ir);
  if (violations.length) throw new ModelDirError(`${join(dir, "ir.json")} is not a valid mtl IR (${violations[0]!.path}: ${violations[0]!.message}); it was written by another mtl version`);
  let encoding: EncodingState;
  try {
    encoding = parseEncoding(readFileSync(join(dir, "encoding.json"), "utf8"), ir);
  } catch (error) {
    throw new ModelDirError(`${join(dir, "encoding.json")}: ${(error as Error).message}`);
  }
  const model = await loadModel(dir);
  const expected = ir.tasks.map((t) => t.name);
  if (JSON.stringify(model.outputNames) !== JSON.stringify(expected)) {
    throw new ModelDirError(`${join(dir, MODEL_JSON)} predicts ${model.outputNames.join(", ")} but ir.json declares ${expected.join(", ")}: the files come from different models`);
  }
  return { ir, encoding, model, spec: readFileSync(join(dir, "spec.mtl"), "utf8") };
}

function readManifest(dir: string): Manifest {
  const path = join(dir, MANIFEST);
  if (!existsSync(path)) {
    const hint = readdirSync(dir).length === 0 ? "the folder is empty" : "training did not finish saving";
    throw new ModelDirError(`${path} is missing (${hint}); pass the --out folder of a finished 'mtl train'`);
  }
  try {
    const manifest = JSON.parse(readFileSync(path, "utf8")) as Manifest;
    if (manifest.format !== "mtl-model" || typeof manifest.files !== "object") throw new Error("not an mtl manifest");
    return manifest;
  } catch (error) {
    throw new ModelDirError(`${path} cannot be read: ${(error as Error).message}`);
  }
}

function fingerprint(path: string): { bytes: number; sha256: string } {
  const data = readFileSync(path);
  return { bytes: data.length, sha256: createHash("sha256").update(data).digest("hex") };
}

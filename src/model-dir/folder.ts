import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type * as tf from "@tensorflow/tfjs";
import { parseEncoding, type EncodingState } from "../data/encode/index.js";
import type { ValidIR } from "../ir/types.js";
import { loadIr } from "../ir/upgrade.js";
import { graphInputs } from "../ir/blocks.js";
import { firstProblem } from "../ir/validate.js";
import { syncDirectory, writeFileAtomic, writeFilesAtomic } from "../util/atomic-write.js";
import { parseJsonText } from "../data/readers/json-syntax.js";
import { ModelDirError } from "../errors.js";
import { firstNonFiniteSavedWeight, type WeightsLayout } from "./weight-values.js";
import { RUN_RECORD } from "../train/checkpoint/run-record.js";
import { MODEL_FORMAT } from "./manifest-text.js";
import { modelDirTexts } from "./texts.js";
import { fingerprintBytes, MANIFEST, manifestText, readListedFiles, readManifest, type FileFingerprint, type FileManifest, type ManifestProblem } from "./file-manifest.js";

export { MANIFEST };

/**
 * A trained model's folder:
 *   model.json + weights.*.bin   TensorFlow.js layers model (tf.loadLayersModel)
 *   encoding.json                fitted feature statistics
 *   ir.json, spec.mtl            what was trained
 *   metrics.json                 final metrics
 *   run.json                     how it was trained: data (size, SHA-256), options (run-record.ts)
 *   manifest.json                size and SHA-256 of every file above, written last (file-manifest.ts)
 * Every file is written atomically; the manifest is the commit point, and
 * loading checks every file against it, so a torn, truncated or altered file
 * is refused instead of predicting garbage.
 *
 * TensorFlow.js is loaded only by saving and loading the model itself, so
 * `verifyModelDir` and `specMismatch` (used by `mtl compile --model`) stay light.
 */


/** The TF.js topology file (the same name as runtime/graph's MODEL_JSON, which would load TF.js to import). */
const MODEL_JSON = "model.json";

/** Files every model folder has, besides the weight files model.json names. */
const REQUIRED_FILES = [MODEL_JSON, "encoding.json", "ir.json", "spec.mtl"] as const;

/** The fixed names saving a model writes, besides run.json and the manifest (and the weight files, named by their content). */
export const MODEL_FILE_NAMES: readonly string[] = [...REQUIRED_FILES, "metrics.json"];

export interface ModelDirContents {
  ir: ValidIR;
  encoding: EncodingState;
  model: tf.LayersModel;
  spec: string;
}

/** `run`: the text of the run record (run-record.ts), kept as run.json when training wrote one. */
export async function saveModelDir(dir: string, contents: ModelDirContents & { metrics: unknown; run?: string }): Promise<void> {
  const { saveModel } = await import("../runtime/graph/index.js");
  const texts: [string, Buffer][] = [...modelDirTexts(contents), ...(contents.run === undefined ? [] : [[RUN_RECORD, contents.run] as [string, string]])].map(([name, text]) => [name, Buffer.from(text, "utf8")]);
  mkdirSync(dir, { recursive: true });
  // The texts are synced while the weights are written and hashed; only the manifest, the commit point, waits for both.
  const textsWritten = writeFilesAtomic(texts.map(([name, bytes]) => [join(dir, name), bytes]));
  // Fingerprinted from the bytes as they are written: reading a large weight file back only to hash it cost about a second.
  const saved: Record<string, FileFingerprint> = {};
  const [weights, textFiles] = await Promise.allSettled([saveModel(contents.model, dir, (name, fingerprint) => (saved[name] = fingerprint)), textsWritten]);
  for (const outcome of [weights, textFiles]) if (outcome.status === "rejected") throw outcome.reason;
  const files: Record<string, FileFingerprint> = { [MODEL_JSON]: saved[MODEL_JSON]!, ...saved };
  for (const [name, bytes] of texts) files[name] = fingerprintBytes(bytes);
  writeFileAtomic(join(dir, MANIFEST), manifestText(MODEL_FORMAT, files));
  // The texts' and the manifest's renames made durable too (the weights' and model.json's were, by saveModel).
  syncDirectory(dir);
}

/** A model folder checked against its manifest, and its files as verified (none larger than its listed size). */
export interface VerifiedModelDir {
  ir: ValidIR;
  read(name: string): Buffer;
}

/**
 * Checks a model folder against its manifest without loading anything:
 * the manifest must list model.json, every weight file model.json names,
 * encoding.json, ir.json and spec.mtl, and each listed file must be a
 * regular file of the folder (no link, FIFO or device) with the recorded
 * size and SHA-256. Returns the folder's IR, checked against the IR schema.
 * Throws a ModelDirError naming the file and what to do.
 */
export function verifyModelDir(dir: string): ValidIR {
  return openModelDir(dir).ir;
}

export function openModelDir(dir: string): VerifiedModelDir {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ModelDirError(`'${dir}' is not a model folder; pass the --out folder of 'mtl train'`);
  const manifest = readModelManifest(dir);
  const manifestPath = join(dir, MANIFEST);
  const unlisted = (name: string) =>
    new ModelDirError(`${manifestPath} does not list ${name}, so it cannot be checked: the manifest was altered or the folder was assembled by hand; train again or restore the folder`);
  for (const name of REQUIRED_FILES) if (!Object.hasOwn(manifest.files, name)) throw unlisted(name);
  // Every file read once, as checked: the weights then go to TF.js from these bytes (loadModelDir), not read again.
  const files = readListedFiles(dir, manifest, reportModelDir);
  const read = (name: string) => {
    const bytes = files.get(name);
    if (bytes === undefined) throw reportModelDir({ kind: "missing", path: join(dir, name) });
    return bytes;
  };
  // model.json is verified now; every weight file it names must be verified too.
  const modelJsonPath = join(dir, MODEL_JSON);
  const layout = parseModelJson(modelJsonPath, read(MODEL_JSON));
  for (const name of weightFiles(modelJsonPath, layout)) if (!Object.hasOwn(manifest.files, name)) throw unlisted(name);
  const bad = firstNonFiniteSavedWeight(layout, read);
  if (bad) {
    throw new ModelDirError(
      `${join(dir, bad.file)}: the weight '${bad.name}' holds ${bad.bad === 1 ? "a NaN or infinite value" : `${bad.bad} NaN or infinite values`} (of ${bad.size}), so every score would be NaN: ` +
        "training diverged or the weights were altered; train again (a lower learning rate often helps)",
    );
  }
  const irPath = join(dir, "ir.json");
  let raw: unknown;
  try {
    raw = parseJsonText(read("ir.json").toString("utf8"));
  } catch (error) {
    if (error instanceof ModelDirError) throw error;
    throw new ModelDirError(`${irPath} cannot be read: ${(error as Error).message}`);
  }
  // An older IR is upgraded, then everything passes the one gate before any back end sees it.
  const loaded = loadIr(raw);
  if (!loaded.ok) throw new ModelDirError(`${irPath} is not a valid mtl IR (${firstProblem(loaded.problems)}); it was written by another mtl version`);
  return { ir: loaded.ir, read };
}

export async function loadModelDir(dir: string): Promise<ModelDirContents> {
  const { ir, read } = openModelDir(dir);
  let encoding: EncodingState;
  try {
    encoding = parseEncoding(read("encoding.json").toString("utf8"), ir);
  } catch (error) {
    if (error instanceof ModelDirError) throw error;
    throw new ModelDirError(`${join(dir, "encoding.json")}: ${(error as Error).message}`);
  }
  const { assertModelFits, buildModel, loadModel } = await import("../runtime/graph/index.js");
  assertModelFits(ir, "predict");
  let model: tf.LayersModel;
  try {
    model = await loadModel(dir, read);
  } catch (error) {
    throw new ModelDirError(`${join(dir, MODEL_JSON)} cannot be loaded as a TensorFlow.js model (${(error as Error).message}); train again`);
  }
  const inputs = graphInputs(ir).map((i) => i.name);
  if (!sameNames(model.inputNames, inputs)) {
    const features = ir.features.map((f) => f.name);
    if (ir.numericBlocks.length > 0 && sameNames(model.inputNames, features)) {
      // Saved before numeric blocks (IR version 2): one input per feature. Numeric inputs and concatenations hold no
      // weights, so the blocked graph of the upgraded IR takes every weight from the layer of the same name.
      try {
        model = withWeightsOf(model, buildModel(ir).model);
      } catch (error) {
        throw new ModelDirError(`${join(dir, MODEL_JSON)} does not fit ir.json (${(error as Error).message}): the files come from different models`);
      }
    } else {
      model.dispose();
      throw new ModelDirError(`${join(dir, MODEL_JSON)} reads ${model.inputNames.join(", ")} but ir.json declares the inputs ${inputs.join(", ")}: the files come from different models`);
    }
  }
  const expected = ir.tasks.map((t) => t.name);
  if (JSON.stringify(model.outputNames) !== JSON.stringify(expected)) {
    model.dispose();
    throw new ModelDirError(`${join(dir, MODEL_JSON)} predicts ${model.outputNames.join(", ")} but ir.json declares ${expected.join(", ")}: the files come from different models`);
  }
  // Predictions through the fused forward pass where it can run the model (src/runtime/fused/forward.ts).
  const { registerFusedForward } = await import("../runtime/fused/forward.js");
  registerFusedForward(model, ir);
  return { ir, encoding, model, spec: read("spec.mtl").toString("utf8") };
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());
}

/** `target` holding the weights of `source`'s layers of the same names; `source` is disposed. */
function withWeightsOf(source: tf.LayersModel, target: tf.LayersModel): tf.LayersModel {
  for (const layer of target.layers) {
    if (layer.weights.length === 0) continue;
    layer.setWeights(source.getLayer(layer.name).getWeights());
  }
  source.dispose();
  return target;
}

/**
 * Where the IR of a spec differs from the IR a model was trained with, in
 * anything that shapes the model or its inputs (features, embedding tables,
 * networks, tasks); null when it does not. Documentation, the model's name,
 * and the `train` and `data` sections may differ: they change neither the
 * weights nor how a row is encoded.
 */
export function specMismatch(spec: ValidIR, model: ValidIR): string | null {
  const sections = [
    ["features", "feature", (x: { name: string }) => `feature '${x.name}'`],
    ["tables", "embedding table", (x: { name: string }) => `embedding table '${x.name}'`],
    ["nodes", "node", (x: { name: string; role?: string }) => `${x.role ?? "node"} '${x.name}'`],
    ["tasks", "task", (x: { name: string }) => `task '${x.name}'`],
  ] as const;
  for (const [section, what, label] of sections) {
    const ours = spec[section] as unknown as { name: string; role?: string }[];
    const theirs = model[section] as unknown as { name: string; role?: string }[];
    const a = ours.map((x) => x.name);
    const b = theirs.map((x) => x.name);
    if (a.join("\u0000") !== b.join("\u0000")) {
      const extra = a.filter((n) => !b.includes(n));
      const lacking = b.filter((n) => !a.includes(n));
      const detail = extra.length || lacking.length
        ? [extra.length ? `the spec has ${what} ${extra.map((n) => `'${n}'`).join(", ")} that the model lacks` : "", lacking.length ? `the model has ${what} ${lacking.map((n) => `'${n}'`).join(", ")} that the spec lacks` : ""].filter(Boolean).join("; ")
        : `the ${section} are in another order (spec: ${a.join(", ")}; model: ${b.join(", ")})`;
      return detail;
    }
    for (let i = 0; i < ours.length; i++) {
      const d = firstDifference(withoutDocs(ours[i]), withoutDocs(theirs[i]), "");
      if (d) return `${label(ours[i]!)}: ${d.path || "its definition"} is ${show(d.ours)} in the spec but ${show(d.theirs)} in the model`;
    }
  }
  return null;
}

function withoutDocs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutDocs);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).filter(([k]) => k !== "doc").map(([k, v]) => [k, withoutDocs(v)]));
}

function firstDifference(ours: unknown, theirs: unknown, path: string): { path: string; ours: unknown; theirs: unknown } | null {
  if (Object.is(ours, theirs)) return null;
  const bothObjects = ours !== null && theirs !== null && typeof ours === "object" && typeof theirs === "object";
  if (!bothObjects || Array.isArray(ours) !== Array.isArray(theirs)) return { path, ours, theirs };
  if (Array.isArray(ours) && Array.isArray(theirs) && ours.length !== theirs.length) return { path, ours, theirs };
  const a = ours as Record<string, unknown>;
  const b = theirs as Record<string, unknown>;
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const d = firstDifference(a[key], b[key], Array.isArray(ours) ? `${path}[${key}]` : path ? `${path}.${key}` : key);
    if (d) return d;
  }
  return null;
}

function show(value: unknown): string {
  const text = value === undefined ? "absent" : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function readModelManifest(dir: string): FileManifest {
  const path = join(dir, MANIFEST);
  if (!existsSync(path)) {
    const hint = readdirSync(dir).length === 0 ? "the folder is empty" : "training did not finish saving";
    throw new ModelDirError(`${path} is missing (${hint}); pass the --out folder of a finished 'mtl train'`);
  }
  return readManifest(dir, MODEL_FORMAT, reportModelDir);
}

function reportModelDir(problem: ManifestProblem): ModelDirError {
  const { path } = problem;
  switch (problem.kind) {
    case "unreadable":
      return new ModelDirError(`${path} cannot be read: ${problem.reason}; train again or restore the folder`);
    case "malformed":
      return new ModelDirError(`${path} is not an mtl model manifest; train again or restore the folder`);
    case "outside-folder":
      return new ModelDirError(`${path} lists '${problem.name}', which is not a file of the folder: the manifest was altered; train again or restore the folder`);
    case "missing":
      return new ModelDirError(`${path} is missing; the model folder is incomplete, train again or restore it`);
    case "not-regular":
      return new ModelDirError(`${path} is ${problem.what}, not a file of the model folder (only the folder's own regular files are read); train again or restore it`);
    case "wrong-size":
      return new ModelDirError(`${path} has ${problem.bytes} bytes, the manifest says ${problem.expected}: the file is truncated or was replaced; train again or restore it`);
    case "wrong-hash":
      return new ModelDirError(`${path} does not match its checksum in ${MANIFEST}: the file was altered or corrupted; train again or restore it`);
  }
}

/** model.json (at `path`, read as `bytes`) as far as it lays out the weights. */
function parseModelJson(path: string, bytes: Buffer): WeightsLayout {
  try {
    return parseJsonText(bytes.toString("utf8")) as WeightsLayout;
  } catch (error) {
    throw modelJsonError(path, error);
  }
}

/** The weight files model.json (at `path`) names. */
function weightFiles(path: string, modelJson: WeightsLayout): string[] {
  try {
    const paths = (modelJson.weightsManifest ?? []).flatMap((g) => (Array.isArray(g.paths) ? (g.paths as unknown[]) : []));
    if (!paths.every((p): p is string => typeof p === "string")) throw new Error("a weight path is not a string");
    return paths;
  } catch (error) {
    throw modelJsonError(path, error);
  }
}

function modelJsonError(path: string, error: unknown): ModelDirError {
  return new ModelDirError(`${path} cannot be read: ${(error as Error).message}; train again or restore the folder`);
}

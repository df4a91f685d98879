/**
 * The training worker: trains a checked spec's IR on mtl's built-in
 * synthetic data with mtl's own encoder (src/data/encode), model builder and
 * train step (src/runtime/graph), head priors (src/train/priors.ts) and
 * evaluation (src/evaluate), on TensorFlow.js's wasm backend with mtl's
 * training kernels (src/runtime/backend/wasm-kernels.ts); WebGL, then the
 * plain CPU backend, when wasm cannot start. The rows come from the ESMM
 * world (src/data/synthetic/esmm.ts), the same world as a down-sampled,
 * weighted log (esmm-log.ts: a previous item and row weights), the MMoE
 * correlation generator (src/data/synthetic/mmoe.ts) or the census sample
 * (census-sample.ts: real rows, for census-mmoe.mtl), the first that has every
 * column the spec reads.
 */
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { createEncoder, fitEncoding, type Encoder, type EncodingState } from "../../src/data/encode/index.js";
import type { RawRecord } from "../../src/data/record.js";
import { esmmColumns, generateEsmm } from "../../src/data/synthetic/esmm.js";
import { esmmLogColumns, generateEsmmLog } from "../../src/data/synthetic/esmm-log.js";
import { generateMmoe, mmoeColumns } from "../../src/data/synthetic/mmoe.js";
import { evaluate, type TaskEvaluation } from "../../src/evaluate/evaluate.js";
import { metricsJson } from "../../src/evaluate/report.js";
import type { ValidIR } from "../../src/ir/types.js";
import { MANIFEST, MODEL_FORMAT, manifestText, type FileFingerprint } from "../../src/model-dir/manifest-text.js";
import { modelDirTexts } from "../../src/model-dir/texts.js";
import { installWasmKernels } from "../../src/runtime/backend/wasm-kernels.js";
import { buildModel, type BuiltModel } from "../../src/runtime/graph/build-model.js";
import { assertModelFits } from "../../src/runtime/graph/model-size.js";
import { joinWeights, MODEL_JSON, modelJsonOf, weightsFileName } from "../../src/runtime/graph/model-json.js";
import { createTrainStep, type TrainStep } from "../../src/runtime/graph/train-step.js";
import { neededColumns } from "../../src/train/columns.js";
import { estimatePriors, initialiseHeads } from "../../src/train/priors.js";
import { batchTensors, disposeBatch } from "../../src/train/tensors.js";
import { CENSUS_SAMPLE_PATH, sampleRecords, type CensusSample } from "./census-sample.js";
import { WORLDS, type TrainReply, type TrainRequest, type World } from "./protocol.js";

/** Rows held out for the AUC curves, drawn from the same world as the training rows. */
const VALID_ROWS = 8192;
/** The most training rows generated; longer runs cycle through them. */
const MAX_TRAIN_ROWS = 200_000;
const SYNTHETIC = "synthetic";

const post = (reply: TrainReply, transfer: Transferable[] = []) => postMessage(reply, { transfer });

let backend: Promise<string> | undefined;

/** wasm (binaries served by the site, next to this script), else WebGL, else CPU. */
function startBackend(): Promise<string> {
  backend ??= (async () => {
    setWasmPaths(new URL("./wasm/", self.location.href).href);
    installWasmKernels();
    for (const name of ["wasm", "webgl", "cpu"]) {
      try {
        if (await tf.setBackend(name)) {
          await tf.ready();
          return name;
        }
      } catch {
        // try the next one
      }
    }
    throw new Error("no TensorFlow.js backend could start in this browser");
  })();
  return backend;
}

/** The first world with every column the spec reads, or the fewest columns missing from any. */
async function worldOf(ir: ValidIR): Promise<{ world: World } | { missing: string[] }> {
  const needed = neededColumns(ir, true).map((n) => n.column);
  let best: string[] | undefined;
  for (const world of WORLDS) {
    const columns = new Set(await columnsOf(world));
    const missing = needed.filter((c) => !columns.has(c));
    if (missing.length === 0) return { world };
    if (!best || missing.length < best.length) best = missing;
  }
  return { missing: best ?? [] };
}

async function columnsOf(world: World): Promise<readonly string[]> {
  switch (world) {
    case "esmm":
      return esmmColumns();
    case "esmm-log":
      return esmmLogColumns();
    case "mmoe":
      return mmoeColumns();
    case "census":
      return (await censusSample()).columns;
  }
}

let census: Promise<CensusSample> | undefined;

/** Fetched once, when a spec reads none of the synthetic worlds (the service worker keeps it for offline use). */
function censusSample(): Promise<CensusSample> {
  census ??= (async () => {
    const response = await fetch(new URL(`./${CENSUS_SAMPLE_PATH}`, self.location.href));
    if (!response.ok) throw new Error(`the census sample could not be loaded (${response.status} ${response.statusText}): reload the page`);
    return (await response.json()) as CensusSample;
  })().catch((error: unknown) => {
    census = undefined; // the next start tries again
    throw error;
  });
  return census;
}

/** Training rows and held-out rows for the curves; `file` names the rows in data errors. */
interface Data {
  train: RawRecord[];
  valid: RawRecord[];
  file: string;
  source?: string;
}

async function dataOf(world: World, steps: number, ir: ValidIR): Promise<Data> {
  if (world === "census") {
    const sample = await censusSample();
    const records = sampleRecords(sample);
    // One row in five held out, spread over the file.
    return {
      train: records.filter((_, i) => i % 5 !== 0),
      valid: records.filter((_, i) => i % 5 === 0),
      file: sample.file,
      source: sample.attribution,
    };
  }
  const count = Math.min(steps * ir.train.batch, MAX_TRAIN_ROWS) + VALID_ROWS;
  const seed = ir.train.seed;
  const generated =
    world === "esmm" ? generateEsmm({ rows: count, seed }) : world === "esmm-log" ? generateEsmmLog({ rows: count, seed }) : generateMmoe({ rows: count, correlation: 0.5, seed });
  const all: RawRecord[] = [];
  for (const fields of generated) all.push({ line: all.length + 1, fields: fields as RawRecord["fields"] });
  return { train: all.slice(VALID_ROWS), valid: all.slice(0, VALID_ROWS), file: SYNTHETIC };
}

interface Run {
  ir: ValidIR;
  spec: string;
  steps: number;
  evalEvery: number;
  train: RawRecord[];
  valid: RawRecord[];
  file: string;
  encoding: EncodingState;
  encoder: Encoder;
  built: BuiltModel;
  step: TrainStep;
  metrics: TaskEvaluation[];
  paused: boolean;
  /** Bumped by every start, so a superseded loop stops. */
  generation: number;
}

let run: Run | undefined;
let generation = 0;

async function start(request: Extract<TrainRequest, { kind: "start" }>): Promise<void> {
  const mine = ++generation;
  if (run) dispose(run);
  run = undefined;
  const { ir } = request;
  const fits = await worldOf(ir);
  if ("missing" in fits) {
    const named = fits.missing.slice(0, 4).map((c) => `'${c}'`).join(", ") + (fits.missing.length > 4 ? ` and ${fits.missing.length - 4} more` : "");
    throw new Error(
      `the playground trains on built-in data, which has no column ${named}: read columns of the ESMM world ` +
        `(${esmmLogColumns().join(", ")}), of the MMoE generator (x0..x99, y1, y2) or of the census sample (census-mmoe.mtl's data section)`,
    );
  }
  assertModelFits(ir, "train");
  const name = await startBackend();
  const { train, valid, file, source } = await dataOf(fits.world, request.steps, ir);
  const encoding = await fitEncoding(ir, train, file);
  const encoder = createEncoder(ir, encoding);
  const built = buildModel(ir);
  initialiseHeads(built, ir, estimatePriors(ir, [{ batch: encoder.encodeBatch(train, file) }]));
  if (mine !== generation) {
    built.model.dispose();
    return;
  }
  run = { ir, spec: request.spec, steps: request.steps, evalEvery: request.evalEvery, train, valid, file, encoding, encoder, built, step: createTrainStep(built), metrics: [], paused: false, generation: mine };
  post({ kind: "ready", backend: name, world: fits.world, rows: train.length, ...(source !== undefined && { source }) });
  await loop(run);
}

async function loop(r: Run): Promise<void> {
  const batch = r.ir.train.batch;
  while (r.step.steps < r.steps) {
    if (r.paused || r.generation !== generation) return;
    const at = (r.step.steps * batch) % r.train.length;
    const rows = r.train.slice(at, at + batch);
    const tensors = batchTensors(r.ir, r.encoder.encodeBatch(rows, r.file));
    let losses;
    try {
      losses = r.step.run(tensors);
    } finally {
      disposeBatch(tensors);
    }
    if (!Number.isFinite(losses.total)) throw new Error(`at step ${r.step.steps} the loss became ${losses.total}: lower the learning rate`);
    post({ kind: "step", step: r.step.steps, steps: r.steps, loss: losses.total, perTask: losses.perTask });
    if (r.step.steps % r.evalEvery === 0 || r.step.steps === r.steps) await score(r);
    // Let pause, resume and a new start in between steps.
    await new Promise((done) => setTimeout(done, 0));
  }
  if (r.generation === generation) post({ kind: "done", step: r.step.steps });
}

async function score(r: Run): Promise<void> {
  r.metrics = await evaluate(r.ir, r.built.model, r.encoder, asAsync(r.valid), { batch: 2048, file: "validation rows" });
  post({ kind: "metrics", step: r.step.steps, metrics: r.metrics });
}

async function* asAsync<T>(items: readonly T[]): AsyncGenerator<T> {
  yield* items;
}

function dispose(r: Run): void {
  r.generation = -1;
  r.step.dispose();
  r.built.model.dispose();
}

/** The model folder `mtl train` would write (less run.json, which records data files), file by file. */
async function exportFolder(r: Run): Promise<{ name: string; bytes: Uint8Array }[]> {
  const files: { name: string; bytes: Uint8Array }[] = [];
  await r.built.model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = new Uint8Array(joinWeights(artifacts.weightData));
      const name = weightsFileName(await sha256(weights));
      files.push({ name: MODEL_JSON, bytes: new TextEncoder().encode(JSON.stringify(modelJsonOf(artifacts, name))) }, { name, bytes: weights });
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }),
  );
  for (const [name, text] of modelDirTexts({ ir: r.ir, encoding: r.encoding, spec: r.spec, metrics: metricsJson(r.metrics) })) files.push({ name, bytes: new TextEncoder().encode(text) });
  const fingerprints: Record<string, FileFingerprint> = {};
  for (const f of files) fingerprints[f.name] = { bytes: f.bytes.byteLength, sha256: await sha256(f.bytes) };
  files.push({ name: MANIFEST, bytes: new TextEncoder().encode(manifestText(MODEL_FORMAT, fingerprints)) });
  return files;
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

self.onmessage = async (event: MessageEvent<TrainRequest>) => {
  const request = event.data;
  try {
    switch (request.kind) {
      case "start":
        await start(request);
        break;
      case "pause":
        if (run) {
          run.paused = true;
          post({ kind: "paused", step: run.step.steps });
        }
        break;
      case "resume":
        if (run?.paused) {
          run.paused = false;
          await loop(run);
        }
        break;
      case "export": {
        if (!run) throw new Error("train the model first");
        const files = await exportFolder(run);
        post({ kind: "export", files }, files.map((f) => f.bytes.buffer));
        break;
      }
    }
  } catch (error) {
    post({ kind: "error", message: error instanceof Error ? error.message : String(error) });
  }
};

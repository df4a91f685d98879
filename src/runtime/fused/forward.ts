/**
 * Prediction through the fused forward pass: the model's plan compiled into
 * a forward-only typed-array program (infer.ts), with no TF.js kernel per
 * layer, for predictTasks (serving, mtl predict, evaluation). The default
 * wherever support.ts finds the model's layers fused (MTL_FUSED_PREDICT=off or
 * MTL_FUSED=off: TF.js's layers); the result is the plain forward's within
 * float rounding, 1e-5 (test/runtime/fused/forward.test.ts). Scoring 1,000
 * candidates of the recsys-MMoE benchmark it takes about half TF.js's time;
 * with one user's features repeated through them, as a server's request has,
 * about a third less again (the first layers' user columns multiplied once:
 * infer-ops.ts DenseForwardOp).
 */
import * as tf from "#tfjs";
import type { ValidIR } from "../../ir/types.js";
import { planLayers, type LayerPlan } from "../../plan/layer-plan.js";
import { wasmView } from "../backend/tensor-memory.js";
import { gemmOn } from "./gemm.js";
import { InferenceProgram } from "./infer.js";
import { fusedBlas, fusedPredictOn, fusedSimdOn, fusedUnsupported } from "./support.js";

interface Registered {
  readonly ir: ValidIR;
  /** The model's layer plan; a loaded model's is planned at its first fused prediction, not at every load. */
  plan?: LayerPlan;
  /** Compiled at the first prediction; null when the model cannot be fused. */
  program?: InferenceProgram | null;
  /** The backend it was compiled for: another one (a test switching backends) compiles again. */
  backend?: string;
}

const registered = new WeakMap<tf.LayersModel, Registered>();

/** Lets predictTasks run `model` (holding the layers of `plan`, by default the IR's own plan) through the fused forward pass. */
export function registerFusedForward(model: tf.LayersModel, ir: ValidIR, plan?: LayerPlan): void {
  registered.set(model, plan === undefined ? { ir } : { ir, plan });
}

/** The IR `model` was built from, when buildModel or loadModel made it. */
export function registeredIR(model: tf.LayersModel): ValidIR | undefined {
  return registered.get(model)?.ir;
}

/** Every task's output [rows, 1] by task name, or null when the plain forward must run. */
export function fusedPredict(model: tf.LayersModel, inputs: Record<string, tf.Tensor>): Record<string, tf.Tensor> | null {
  const entry = registered.get(model);
  if (entry === undefined || !fusedPredictOn()) return null;
  // Checked per call: MTL_FUSED and the backend can change under a long-lived model.
  const plan = (entry.plan ??= planLayers(entry.ir));
  if (entry.program === undefined || entry.backend !== tf.getBackend()) {
    const blas = fusedBlas();
    entry.backend = tf.getBackend();
    entry.program = fusedUnsupported(entry.ir, plan, { inference: true, env: {} }).length === 0 && blas !== null ? new InferenceProgram(entry.ir, plan, model, gemmOn(blas), fusedSimdOn()) : null;
  }
  if (entry.program === null) return null;
  const program = entry.program;
  const features: Record<string, Int32Array | Float32Array> = {};
  let size = 0;
  for (const input of plan.inputs) {
    const t = inputs[input.name];
    if (t === undefined) throw new Error(`no input tensor for feature '${input.name}'`);
    const values = storage(t) ?? (t.dataSync() as Int32Array | Float32Array);
    // The encoder's dtypes; a caller's float ids or int numbers are converted as TF.js would cast them.
    features[input.name] = input.dtype === "int32" ? (values instanceof Int32Array ? values : Int32Array.from(values)) : values instanceof Float32Array ? values : Float32Array.from(values);
    size = t.shape[0]!;
  }
  // No TF.js call from here to the end of the run: views of the wasm heap stay valid.
  program.run(size, features);
  return Object.fromEntries(Object.entries(program.outputs).map(([task, slot]) => [task, tf.tensor2d(slot.view.slice(0, size), [size, 1])]));
}

/** A wasm backend tensor's values in place (dataSync copies them out of the heap); null elsewhere. */
function storage(t: tf.Tensor): Int32Array | Float32Array | null {
  if (tf.getBackend() !== "wasm" || (t.dtype !== "int32" && t.dtype !== "float32")) return null;
  const backend = tf.engine().backend as unknown as { dataIdMap: { has(id: object): boolean } };
  if (!backend.dataIdMap.has(t.dataId as object)) return null;
  return t.dtype === "int32" ? wasmView(backend, t, Int32Array) : wasmView(backend, t, Float32Array);
}

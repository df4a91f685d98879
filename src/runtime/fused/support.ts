/**
 * Whether the fused step can train a model, as data: every reason it cannot
 * (empty when it can). The train step runs the plain TF.js path whenever
 * there is one, and `mtl train` names the first.
 */
import * as tf from "#tfjs";
import type { ValidIR } from "../../ir/types.js";
import type { LayerPlan } from "../../plan/layer-plan.js";
import { loadNativeBlas, type NativeBlas } from "../backend/blas/native-blas.js";
import { activeNativeBlas } from "../backend/kernels/matmul-override.js";
import { supportsInPlaceWrites } from "../backend/tensor-memory.js";
import { switchedOff } from "../../util/env-switch.js";
import { FUSED_ACTIVATIONS } from "./activations.js";

export interface FusedSupportOptions {
  /** The caller passed its own optimiser, or asked for dense table training: the fused step keeps neither. */
  optimizer?: unknown;
  sparse?: boolean;
  /** false: the caller asked for the plain step. */
  fused?: boolean;
  /** For prediction: only what the forward pass needs counts (not the optimiser, weighting or losses). */
  inference?: boolean;
  env?: NodeJS.ProcessEnv;
}

let cpuBlas: NativeBlas | null | undefined;

/**
 * The BLAS the fused step's products run on: the wasm backend's (its matMul
 * override then sends every float32 product there, so no XNNPACK weight
 * packing can go stale under weights written in place); on the cpu backend,
 * one loaded for the step. Null: none.
 */
export function fusedBlas(): NativeBlas | null {
  if (tf.getBackend() === "wasm") return activeNativeBlas();
  if (tf.getBackend() !== "cpu") return null;
  if (cpuBlas === undefined) cpuBlas = loadNativeBlas().blas;
  return cpuBlas;
}

/** The environment, or none in a web page (the playground trains through this module too). */
const processEnv = (): NodeJS.ProcessEnv => (typeof process === "undefined" ? {} : process.env);

/** True when MTL_FUSED turns the fused step (and forward pass) off. */
export function fusedOff(env: NodeJS.ProcessEnv = processEnv()): boolean {
  return switchedOff(env["MTL_FUSED"]);
}

/**
 * True unless MTL_FUSED_PREDICT (or MTL_FUSED) is off: predictions run
 * through the fused forward pass (forward.ts) wherever it supports the model.
 */
export function fusedPredictOn(env: NodeJS.ProcessEnv = processEnv()): boolean {
  return !switchedOff(env["MTL_FUSED_PREDICT"]) && !fusedOff(env);
}

/**
 * True unless MTL_FUSED_SIMD is off: the fused step and forward pass keep
 * their tensors in a WebAssembly SIMD arena and run its kernels (simd.ts)
 * wherever WebAssembly SIMD runs; off, their JavaScript loops (for A/B runs).
 */
export function fusedSimdOn(env: NodeJS.ProcessEnv = processEnv()): boolean {
  return !switchedOff(env["MTL_FUSED_SIMD"]);
}

export function fusedUnsupported(ir: ValidIR, plan: LayerPlan, options: FusedSupportOptions = {}): string[] {
  const reasons: string[] = [];
  if (fusedOff(options.env)) reasons.push("turned off by MTL_FUSED");
  if (options.fused === false) reasons.push("the plain step was asked for");
  if (options.optimizer !== undefined) reasons.push("the caller supplied its own optimiser");
  if (options.sparse === false) reasons.push("dense training of the embedding tables was asked for");
  if (!supportsInPlaceWrites()) reasons.push(`the ${tf.getBackend()} backend does not expose tensor memory`);
  else if (fusedBlas() === null) reasons.push("no native BLAS for the matrix products");
  if (ir.train.optimizer.type !== "adam" && !options.inference) reasons.push(`optimizer ${ir.train.optimizer.type} (only adam is fused)`);
  if (ir.train.weighting !== "fixed" && !options.inference) reasons.push(`${typeof ir.train.weighting === "string" ? ir.train.weighting : ir.train.weighting.type} task weighting`);
  for (const task of options.inference ? [] : ir.tasks) {
    if (task.debias !== undefined) reasons.push(`task '${task.name}' is debiased`);
    if (task.transfer !== undefined) reasons.push(`task '${task.name}' has an AITM transfer`);
  }
  const specs = new Map(plan.layers.map((l) => [l.name, l.spec]));
  const inputs = new Map(plan.inputs.map((i) => [i.name, i]));
  const kinds = new Set<string>();
  for (const step of plan.steps) {
    const spec = specs.get(step.layer)!;
    switch (spec.kind) {
      case "dense":
        if (!FUSED_ACTIVATIONS.has(spec.activation)) kinds.add(`activation ${spec.activation}`);
        if (step.shape.length !== 1) kinds.add("dense on a 3-d input");
        break;
      case "activation":
        if (!FUSED_ACTIVATIONS.has(spec.activation)) kinds.add(`activation ${spec.activation}`);
        break;
      case "embedding": {
        const input = inputs.get(step.inputs[0]!);
        if (input === undefined || input.shape.length !== 1 || input.shape[0] !== 1) kinds.add("sequence features");
        break;
      }
      case "concatenate":
        if (!flatConcat(spec.axis, step.shape.length)) kinds.add("concatenation inside rows");
        break;
      case "dot":
        if (spec.axes !== 1) kinds.add(`dot over axes ${spec.axes}`);
        break;
      case "flatten":
      case "reshape":
      case "multiply":
      case "dropout":
        break;
      case "batchNormalization":
        kinds.add("batch normalisation");
        break;
      case "clampIds":
      case "maskedSequencePooling":
        kinds.add("sequence features");
        break;
      case "aitAttention":
        kinds.add("AITM attention");
        break;
    }
  }
  reasons.push(...[...kinds].map((k) => `${k} (not fused yet)`));
  return reasons;
}

/**
 * A concatenation along `axis` (Keras' numbering: 0 is the batch) of inputs
 * of rank `rank` (without the batch) is, per row, its inputs' values side by
 * side when every axis before it has size 1; the plan makes two kinds: the
 * last axis of [n] parts, and a gate's stack of [1, w] rows along axis 1.
 */
function flatConcat(axis: number, rank: number): boolean {
  return axis === -1 ? rank === 1 : axis === 1;
}

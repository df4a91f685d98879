/**
 * A train step's state as plain arrays, for checkpoints: every weight of the
 * model (trainable or not, so batch-norm statistics too), the dense
 * optimiser's slots, the sparse tables' slots, the uncertainty log-variances,
 * the gradnorm or dwa task weights' state and the step count (which also seeds dropout). Putting it back into a
 * freshly built model of the same spec continues training exactly where the
 * state was taken.
 */
import * as tf from "#tfjs";
import type { UncertaintyWeights } from "../loss/uncertainty.js";
import type { BalancerState, TaskBalancer } from "../balance/balancer.js";
import { restoreOptimizerPowers } from "./optimizer-powers.js";
import { writableRows } from "../backend/tensor-memory.js";
import { adviseHugePages } from "../backend/huge-pages.js";
import type { SparseEmbeddings, SparseSlots } from "./sparse-embeddings.js";

export interface NamedArray {
  name: string;
  shape: number[];
  dtype: "float32" | "int32";
  values: Float32Array | Int32Array;
}

export interface TrainStepState {
  steps: number;
  /** model.weights, in order. */
  weights: NamedArray[];
  /** tf.Optimizer.getWeights(), in order (slot order follows the variables'). */
  optimizer: NamedArray[];
  /** Optimiser slots of sparsely trained tables; empty on the dense path. */
  sparse: SparseSlots[];
  /** s_k per task under uncertainty weighting; empty otherwise. */
  logVariances: Record<string, number>;
  /** The task weights' state under gradnorm or dwa weighting (absent otherwise, and in checkpoints written before them). */
  balancer?: BalancerState;
}

interface StepParts {
  model: tf.LayersModel;
  optimizer: tf.Optimizer;
  uncertainty: UncertaintyWeights | null;
  balancer: TaskBalancer | null;
  sparse: SparseEmbeddings | null;
}

export async function exportStepState(parts: StepParts & { steps: number }): Promise<TrainStepState> {
  const optimizerWeights = await parts.optimizer.getWeights();
  return {
    steps: parts.steps,
    weights: parts.model.weights.map((w) => toArray(w.originalName, w.read())),
    optimizer: optimizerWeights.map(({ name, tensor }) => toArray(name, tensor)),
    // A snapshot already, split from the slots' per-row layout when read or written into a checkpoint (sparse-embeddings.ts).
    sparse: parts.sparse?.slots() ?? [],
    logVariances: Object.fromEntries(
      Object.entries(parts.uncertainty?.variables ?? {}).map(([task, v]) => [task, v.dataSync()[0]!]),
    ),
    ...(parts.balancer !== null && { balancer: parts.balancer.exportState() }),
  };
}

/** Restores `state` and returns its step count; throws when it was taken from another model. */
export async function importStepState(parts: StepParts, state: TrainStepState): Promise<number> {
  const weights = parts.model.weights;
  if (weights.length !== state.weights.length) {
    throw new Error(`the saved state has ${state.weights.length} weights, the model ${weights.length}`);
  }
  weights.forEach((w, i) => {
    const saved = state.weights[i]!;
    if (saved.name !== w.originalName || !sameShape(saved.shape, w.shape)) {
      throw new Error(`saved weight '${saved.name}' [${saved.shape}] does not fit '${w.originalName}' [${w.shape}]`);
    }
  });
  tf.tidy(() => weights.forEach((w, i) => w.write(fromArray(state.weights[i]!))));
  const optimizerWeights = state.optimizer.map((a) => ({ name: a.name, tensor: fromArray(a) }));
  try {
    await parts.optimizer.setWeights(optimizerWeights);
    restoreOptimizerPowers(parts.optimizer);
  } finally {
    tf.dispose(optimizerWeights.map((w) => w.tensor));
  }
  if (parts.sparse !== null) parts.sparse.restoreSlots(state.sparse);
  for (const [task, variable] of Object.entries(parts.uncertainty?.variables ?? {})) {
    const saved = state.logVariances[task];
    if (saved === undefined) throw new Error(`the saved state has no log-variance for task '${task}'`);
    tf.tidy(() => variable.assign(tf.scalar(saved)));
  }
  if (parts.balancer !== null) {
    if (state.balancer === undefined) throw new Error(`the saved state has no ${parts.balancer.type} task weights`);
    parts.balancer.importState(state.balancer);
  }
  return state.steps;
}

function toArray(name: string, tensor: tf.Tensor): NamedArray {
  const dtype = tensor.dtype === "int32" ? "int32" : "float32";
  const shape = [...tensor.shape];
  // On wasm, a float32 weight is copied once, out of the heap, into memory advised for huge pages (huge-pages.ts):
  // dataSync's copy, copied again here, faulted in a recsys model's 166 MB of tables twice, 4 KiB at a time, per
  // checkpoint (about a second on the benchmark VM). Other backends (cpu) may hand out their own storage: copied.
  const storage = tf.getBackend() === "wasm" ? writableRows(tensor) : null;
  if (storage !== null) {
    const values = new Float32Array(tensor.size);
    adviseHugePages(values);
    values.set(storage);
    return { name, shape, dtype, values };
  }
  const values = tensor.dataSync();
  return { name, shape, dtype, values: dtype === "int32" ? Int32Array.from(values) : Float32Array.from(values) };
}

function fromArray(a: NamedArray): tf.Tensor {
  return tf.tensor(a.values.slice(), a.shape, a.dtype);
}

function sameShape(a: readonly number[], b: readonly (number | null)[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

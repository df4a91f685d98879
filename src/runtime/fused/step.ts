/**
 * The fused train step: the TrainStep interface (train-step.ts) over a
 * compiled typed-array program (program.ts) instead of TF.js's kernels and
 * tape. Same math as the plain path: forward, the task losses and L2, the
 * backward pass layer by layer, Adam on the dense weights (in the TF.js
 * optimiser's own slots) and lazy Adam on the table rows the batch read (in
 * SparseEmbeddings' slots). Weights are written in the TF.js variables' own
 * storage, so evaluation, saving, predict and checkpoints read the trained
 * weights with nothing to copy, and the state it exports is the plain path's
 * (either path resumes the other's checkpoints).
 */
import * as tf from "#tfjs";
import type { EncodedBatch } from "../../data/encode/index.js";
import type { NativeBlas } from "../backend/blas/native-blas.js";
import { ownAlignedStorage, ownStorage, sharesStorage, writableRows } from "../backend/tensor-memory.js";
import type { BuiltModel } from "../graph/build-model.js";
import type { AdamFields } from "../graph/in-place-adam.js";
import { createOptimizer } from "../graph/optimizer.js";
import { SparseEmbeddings } from "../graph/sparse-embeddings.js";
import { sparseRule } from "../graph/sparse-update.js";
import { exportStepState, importStepState } from "../graph/step-state.js";
import type { StepLosses, StepRunOptions, TrainBatch, TrainStep } from "../graph/train-step.js";
import { adamUpdate, bindGradients, ensureSlots, releaseGradients, slotVariables } from "./adam.js";
import { stepSeed } from "../graph/dropout-seeds.js";
import { gemmOn } from "./gemm.js";
import type { DropoutOp } from "./layers.js";
import { Program, type FusedFeatures } from "./program.js";
import { namingFeature } from "../table-ids.js";
import { fusedSimdOn } from "./support.js";
import type { SimdArena } from "./arena.js";

/** Labels and masks as typed arrays, by task name. */
interface FusedTargets {
  labels: Record<string, ArrayLike<number>>;
  masks?: Record<string, ArrayLike<number>>;
}

/** `simd` false: the program's JavaScript loops even where WebAssembly SIMD runs (MTL_FUSED_SIMD=off; the tests' reference); or the arena to use. */
export function createFusedTrainStep(built: BuiltModel, blas: NativeBlas, simd: boolean | SimdArena = fusedSimdOn()): TrainStep {
  const { ir } = built;
  const optimizer = createOptimizer(ir.train.optimizer);
  const adam = optimizer as unknown as AdamFields;
  const rule = sparseRule(ir.train.optimizer);
  const sparse = SparseEmbeddings.create(built, ir.train.optimizer);
  const program = new Program({ ir, plan: built.plan, model: built.trainingModel }, gemmOn(blas), simd);
  const l2 = ir.train.l2;
  let steps = 0;

  /** Views of variables' storage, kept while the storage is the same and the wasm heap has not moved (which detaches them). */
  const views = new Map<tf.Variable, { dataId: object; view: Float32Array }>();
  const view = (v: tf.Variable): Float32Array => {
    const known = views.get(v);
    if (known !== undefined && known.dataId === v.dataId && known.view.length === v.size) return known.view;
    const rows = writableRows(v);
    if (rows === null) throw new Error(`cannot reach the storage of '${v.name}' on backend '${tf.getBackend()}'`);
    views.set(v, { dataId: v.dataId as object, view: rows });
    return rows;
  };

  /** Points every Param and table at its variable's storage; allocation first, since it may move the wasm heap. */
  function bindViews(): { acc1: Float32Array; acc2: Float32Array; moments: Float32Array[] } {
    ensureSlots(adam, program.params);
    const slots = slotVariables(adam, program.params.length);
    const variables = [adam.accBeta1, adam.accBeta2, ...program.params.map((p) => p.variable), ...slots];
    for (const v of variables) if (sharesStorage(v)) ownStorage(v);
    // Tables' rows on cache lines (aligned-heap.ts): a copy only when a table's storage changed (restored, shared).
    for (const t of program.tables) ownAlignedStorage(t.variable);
    for (const p of program.params) p.view = view(p.variable);
    bindGradients(adam, program.params);
    for (const t of program.tables) t.view = view(t.variable);
    return { acc1: view(adam.accBeta1), acc2: view(adam.accBeta2), moments: slots.map(view) };
  }

  function runArrays(features: FusedFeatures, targets: FusedTargets, options: StepRunOptions = {}): StepLosses {
    const rows = features.size;
    program.load(features);
    drawDropoutMasks(program.dropouts, built.dropoutSeeds, steps, rows);
    const views = bindViews();
    try {
      program.forward(rows);
    } catch (error) {
      // Before any update: an id outside its table (tables.ts rowOf) leaves the weights as they were.
      throw namingFeature(error, ir, (name) => features.features[name]);
    }
    program.resetGradients();
    const loss = program.loss.run(rows, targets.labels, targets.masks);
    let penalty = 0;
    if (l2 !== 0) for (const k of program.kernels) for (let i = 0; i < k.view.length; i++) penalty += k.view[i]! * k.view[i]!;
    penalty *= l2;
    program.backward(rows);
    if (l2 !== 0) {
      for (const k of program.kernels) {
        if (!k.gradSet) continue;
        for (let i = 0; i < k.view.length; i++) k.grad[i] = k.grad[i]! + 2 * l2 * k.view[i]!;
      }
    }
    const scores = options.scores
      ? Object.fromEntries(Object.entries(program.outputs).map(([task, buf]) => [task, buf.value.slice(0, rows)]))
      : undefined;
    adamUpdate(adam, program.params, views.acc1, views.acc2, views.moments);
    if (sparse !== null) for (const table of program.tables) table.update(rule!, sparse.slotRows(table.name), steps + 1);
    steps++;
    const result: StepLosses = { total: Math.fround(loss.weighted + penalty), perTask: loss.perTask, l2: Math.fround(penalty) };
    if (scores !== undefined) result.scores = scores;
    return result;
  }

  const step: TrainStep = {
    run(batch: TrainBatch, options?: StepRunOptions) {
      const features: Record<string, Int32Array | Float32Array> = {};
      let size = 0;
      for (const [name, t] of Object.entries(batch.inputs)) {
        features[name] = t.dataSync() as Int32Array | Float32Array;
        size = t.shape[0]!;
      }
      const arrays = (m: Record<string, tf.Tensor> | undefined) =>
        m === undefined ? undefined : Object.fromEntries(Object.entries(m).map(([k, t]) => [k, t.dataSync() as Float32Array]));
      return runArrays({ size, features }, { labels: arrays(batch.labels)!, ...(batch.masks && { masks: arrays(batch.masks)! }) }, options);
    },
    runEncoded(batch: EncodedBatch, options?: StepRunOptions) {
      return runArrays(batch, batch, options);
    },
    optimizer,
    uncertainty: null,
    balancer: null,
    sparse: sparse !== null,
    engine: "fused",
    get steps() {
      return steps;
    },
    exportState: () => exportStepState({ model: built.trainingModel, optimizer, uncertainty: null, balancer: null, sparse, steps }),
    async importState(state) {
      steps = await importStepState({ model: built.trainingModel, optimizer, uncertainty: null, balancer: null, sparse }, state);
    },
    dispose() {
      optimizer.dispose();
      // The heap blocks now, not when collected (tensor-memory.ts HeapArray.free): the tables' slots are hundreds of MB.
      releaseGradients(adam);
      program.dispose();
      sparse?.dispose();
    },
  };
  return step;
}

/**
 * Each dropout layer's multipliers for this step: tf.dropout's own, drawn
 * from the per-step seed the plain path gives the layer (dropout-seeds.ts),
 * so both paths drop the same units. Allocates: call before binding views.
 */
function drawDropoutMasks(dropouts: readonly DropoutOp[], baseSeeds: ReadonlyMap<string, number>, step: number, rows: number): void {
  for (const op of dropouts) {
    const seed = stepSeed(baseSeeds.get(op.layer)!, step);
    const mask = tf.tidy(() => tf.dropout(tf.ones([rows, op.width]), op.rate, undefined, seed));
    op.setMask(mask.dataSync() as Float32Array);
    mask.dispose();
  }
}

/**
 * One optimisation step: forward in training mode, the loss of
 * src/runtime/loss plus the L2 penalty, gradients, update. Every tensor a step
 * creates is released before it returns; only the optimizer's slots (created
 * on the first step) and the uncertainty log-variances persist.
 *
 * Embedding tables train sparsely when they can (sparse-embeddings.ts): only
 * the rows a batch reads get gradients and updates. `{ sparse: false }`
 * keeps every table on the dense optimiser; the two paths give the same
 * losses and gradients (test/runtime/graph/sparse-embeddings.test.ts).
 */
import * as tf from "#tfjs";
import { computeLoss } from "../loss/compute-loss.js";
import type { LossBatch } from "../loss/types.js";
import { createUncertaintyWeights, type UncertaintyWeights } from "../loss/uncertainty.js";
import { createBalancer, type TaskBalancer } from "../balance/balancer.js";
import { kernelsOf, taskGradNorms } from "../balance/grad-norms.js";
import type { BuiltModel } from "./build-model.js";
import { seedDropoutForStep } from "./dropout-seeds.js";
import { forward, type FeatureTensors } from "./forward.js";
import { createOptimizer } from "./optimizer.js";
import { SparseEmbeddings } from "./sparse-embeddings.js";
import type { EncodedBatch } from "../../data/encode/index.js";
import { createFusedTrainStep } from "../fused/step.js";
import { fusedBlas, fusedUnsupported } from "../fused/support.js";
import { exportStepState, importStepState, type TrainStepState } from "./step-state.js";
import { checkTableIds } from "../table-ids.js";

export interface TrainBatch extends LossBatch {
  /** Feature tensors by feature name (see modelInputs for accepted shapes). */
  inputs: FeatureTensors;
}

export interface StepLosses {
  /** The minimised objective: weighted task losses plus the L2 penalty. */
  total: number;
  /** Unweighted mean loss of every trained task. */
  perTask: Record<string, number>;
  /** train.l2 * sum of squared Dense kernels (0 when l2 is 0). */
  l2: number;
  /** s_k after the step, under uncertainty weighting; absent otherwise. */
  logVariances?: Record<string, number>;
  /** The task weights this step's loss used, under gradnorm or dwa weighting; absent otherwise. */
  taskWeights?: Record<string, number>;
  /** With `{ scores: true }`: every task's output for the batch in this step's forward pass (before its update), by task name. */
  scores?: Record<string, Float32Array>;
}

export interface StepRunOptions {
  /** Also return the forward pass's task outputs, for metrics accumulated over an epoch without a second pass. */
  scores?: boolean;
}

export interface TrainStep {
  run(batch: TrainBatch, options?: StepRunOptions): StepLosses;
  /** The same step on the encoded typed arrays, with no tensors made (the fused step); absent: build tensors and call run. */
  runEncoded?(batch: EncodedBatch, options?: StepRunOptions): StepLosses;
  /** Which step runs: "fused", or "plain" and the first reason the fused step cannot (src/runtime/fused/support.ts). */
  readonly engine: string;
  readonly optimizer: tf.Optimizer;
  /** Created here when train.weighting is "uncertainty"; null otherwise. */
  readonly uncertainty: UncertaintyWeights | null;
  /** The task weights under gradnorm or dwa weighting (the trainer tells it where epochs end); null otherwise. */
  readonly balancer: TaskBalancer | null;
  /** Steps run so far; also the index the next step's dropout seeds derive from. */
  readonly steps: number;
  /** True when the embedding tables train sparsely (see sparse-embeddings.ts). */
  readonly sparse: boolean;
  /** Everything the steps so far changed: weights, optimiser slots, log-variances, step count. */
  exportState(): Promise<TrainStepState>;
  /** Puts back what exportState returned, for the same spec. */
  importState(state: TrainStepState): Promise<void>;
  /** Releases the optimizer's slots and the log-variances (not the model). */
  dispose(): void;
}

export interface TrainStepOptions {
  optimizer?: tf.Optimizer;
  /** Train embedding tables sparsely where possible (default true). */
  sparse?: boolean;
  /** false: the plain TF.js step even where the fused one could run (the reference the fused step is tested against). */
  fused?: boolean;
}

export function createTrainStep(built: BuiltModel, options: TrainStepOptions = {}): TrainStep {
  const { ir, trainingModel } = built;
  const unsupported = fusedUnsupported(ir, built.plan, options);
  if (unsupported.length === 0) return createFusedTrainStep(built, fusedBlas()!);
  const optimizer = options.optimizer ?? createOptimizer(ir.train.optimizer);
  const uncertainty = ir.train.weighting === "uncertainty" ? createUncertaintyWeights(ir) : null;
  const balancer = createBalancer(ir);
  const normKernels = balancer === null ? [] : kernelsOf(trainingModel, balancer.normLayers);
  const sparse = options.sparse === false ? null : SparseEmbeddings.create(built, ir.train.optimizer);
  const tableVariables = new Set(sparse?.tableVariables ?? []);
  const denseVariables: tf.Variable[] = [
    ...trainingModel.trainableWeights.map((w) => w.read() as tf.Variable).filter((v) => !tableVariables.has(v)),
    ...(uncertainty === null ? [] : Object.values(uncertainty.variables)),
  ];
  const kernels = denseKernels(trainingModel);
  let steps = 0;

  const l2Penalty = (): tf.Scalar =>
    tf.tidy(() =>
      ir.train.l2 === 0 || kernels.length === 0
        ? tf.scalar(0)
        : tf.mul(ir.train.l2, tf.addN(kernels.map((k) => tf.sum(tf.square(k))))),
    ) as tf.Scalar;

  function run(batch: TrainBatch, options: StepRunOptions = {}): StepLosses {
    checkTableIds(ir, (name) => batch.inputs[name]?.dataSync() as Int32Array | undefined);
    const restoreSeeds = seedDropoutForStep(trainingModel, built.dropoutSeeds, steps);
    const lookup = sparse?.prepare(batch.inputs);
    // Scalars to report, kept past the tidy that variableGrads runs `f` in.
    const reported: tf.Tensor[] = [];
    let taskNames: string[] = [];
    const scored: Record<string, tf.Tensor> = {};
    try {
      const inputs = lookup?.inputs ?? batch.inputs;
      const variables = lookup === undefined ? denseVariables : [...denseVariables, ...lookup.variables];
      const taskWeights = balancer?.weights();
      const { value, grads } = tf.variableGrads(() => {
        const outputs = forward(built, inputs, true);
        const loss = computeLoss(ir, outputs, batch, uncertainty ?? undefined, taskWeights);
        const l2 = l2Penalty();
        taskNames = Object.keys(loss.perTask);
        reported.push(...taskNames.map((t) => tf.keep(loss.perTask[t]!)), tf.keep(l2));
        if (options.scores) for (const [task, values] of Object.entries(outputs.values)) scored[task] = tf.keep(values);
        return tf.add(loss.total, l2) as tf.Scalar;
      }, variables);
      // GradNorm's norms are taken at the weights this step's loss saw, so before the update.
      const norms = normKernels.length > 0 ? taskGradNorms(built, inputs, batch, normKernels, taskWeights!) : undefined;
      if (lookup !== undefined) {
        sparse!.update(grads, steps + 1);
        const tableGrads = new Set(lookup.variables.map((v) => v.name));
        optimizer.applyGradients(Object.fromEntries(Object.entries(grads).filter(([name]) => !tableGrads.has(name))));
      } else {
        optimizer.applyGradients(grads);
      }
      const numbers = tf.tidy(() => tf.stack([value, ...reported]).dataSync());
      tf.dispose([value, grads]);
      const result: StepLosses = {
        total: numbers[0]!,
        perTask: Object.fromEntries(taskNames.map((t, i) => [t, numbers[i + 1]!])),
        l2: numbers[taskNames.length + 1]!,
      };
      if (balancer !== null) {
        result.taskWeights = taskWeights!;
        balancer.stepped(result.perTask, norms);
      }
      if (options.scores) result.scores = Object.fromEntries(Object.entries(scored).map(([task, t]) => [task, t.dataSync() as Float32Array]));
      if (uncertainty !== null) {
        result.logVariances = Object.fromEntries(
          Object.entries(uncertainty.variables).map(([t, s]) => [t, s.dataSync()[0]!]),
        );
      }
      return result;
    } finally {
      tf.dispose(reported);
      tf.dispose(Object.values(scored));
      lookup?.release();
      restoreSeeds();
      steps++;
    }
  }

  return {
    run,
    optimizer,
    uncertainty,
    balancer,
    sparse: sparse !== null,
    engine: `plain (${unsupported[0]})`,
    get steps() {
      return steps;
    },
    exportState: () => exportStepState({ model: trainingModel, optimizer, uncertainty, balancer, sparse, steps }),
    async importState(state) {
      steps = await importStepState({ model: trainingModel, optimizer, uncertainty, balancer, sparse }, state);
    },
    dispose() {
      optimizer.dispose();
      uncertainty?.dispose();
      sparse?.dispose();
    },
  };
}

/** The kernels train.l2 penalises: every Dense kernel (hidden, gate, head); not embeddings, biases or BN. */
function denseKernels(model: tf.LayersModel): tf.Variable[] {
  return model.layers
    .filter((layer) => layer.getClassName() === "Dense")
    .flatMap((layer) => layer.trainableWeights.filter((w) => w.originalName.endsWith("/kernel")))
    .map((w) => w.read() as tf.Variable);
}

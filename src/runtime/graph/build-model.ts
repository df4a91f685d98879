/**
 * IR -> tf.LayersModel: instantiates the layer plan (src/plan/layer-plan.ts)
 * with the functional API, standard Keras layers except the registered
 * ones in src/portable/layers.ts.
 */
import * as tf from "#tfjs";
import type { ValidIR } from "../../ir/types.js";
import { planLayers, type Initializer, type LayerPlan, type PlanLayer } from "../../plan/layer-plan.js";
import { AitAttention, ClampIds, MaskedSequencePooling } from "../../portable/layers.js";
import { SeededRandomUniform } from "./seeded-uniform.js";
import { PlanRunner } from "./plan-runner.js";
import { registerFusedForward } from "../fused/forward.js";

export interface TaskOutputIndex {
  /** Position of the task's probability/value in model.outputs and trainingModel.outputs. */
  output: number;
  /** Position of a dense binary task's logit in trainingModel.outputs; null for other tasks. */
  logit: number | null;
}

export interface BuiltModel {
  readonly ir: ValidIR;
  /** Inference model: one input per feature (IR order), one output per task (IR order). */
  readonly model: tf.LayersModel;
  /** The same layers, with the dense binary heads' logits appended to the outputs. */
  readonly trainingModel: tf.LayersModel;
  /** Feature names in the order of model.inputs. */
  readonly inputNames: readonly string[];
  /** Task names in the order of model.outputs. */
  readonly outputNames: readonly string[];
  readonly taskIndex: Readonly<Record<string, TaskOutputIndex>>;
  /** Dropout layer name -> its base seed (train steps derive per-step seeds from it). */
  readonly dropoutSeeds: ReadonlyMap<string, number>;
  readonly plan: LayerPlan;
  /** Runs the plan for forward() and predictTasks (plan-runner.ts); null: through tf.LayersModel.apply. */
  readonly runner: PlanRunner | null;
}

export interface BuildOptions {
  /** Forward passes through tf.LayersModel.apply, layer by layer as the plan lists them: the reference the runner is tested against. */
  plain?: boolean;
}

/** The runner of a model buildModel made, so predictTasks on `built.model` takes the fast path too. */
const runners = new WeakMap<tf.LayersModel, { runner: PlanRunner; outputs: readonly string[] }>();

export function runnerOf(model: tf.LayersModel): { runner: PlanRunner; outputs: readonly string[] } | undefined {
  return runners.get(model);
}

export function buildModel(ir: ValidIR, plan: LayerPlan = planLayers(ir), options: BuildOptions = {}): BuiltModel {
  const tensors = new Map<string, tf.SymbolicTensor>();
  const inputs = plan.inputs.map((input) => {
    const t = tf.input({ name: input.name, shape: input.shape, dtype: input.dtype });
    tensors.set(input.name, t);
    return t;
  });
  const layers = new Map(plan.layers.map((l) => [l.name, tfLayer(l)]));
  for (const step of plan.steps) {
    const args = step.inputs.map((name) => tensors.get(name)!);
    tensors.set(step.output, layers.get(step.layer)!.apply(args.length === 1 ? args[0]! : args) as tf.SymbolicTensor);
  }

  const taskIndex: Record<string, TaskOutputIndex> = {};
  const logitOutputs: tf.SymbolicTensor[] = [];
  ir.tasks.forEach((task, i) => {
    const logit = plan.logits[task.name];
    taskIndex[task.name] = { output: i, logit: logit === undefined ? null : ir.tasks.length + logitOutputs.length };
    if (logit !== undefined) logitOutputs.push(tensors.get(logit)!);
  });
  const outputs = plan.outputs.map((name) => tensors.get(name)!);
  const model = tf.model({ name: plan.name, inputs, outputs });
  const trainingModel = tf.model({ name: `${plan.name}_training`, inputs, outputs: [...outputs, ...logitOutputs] });
  const runner = options.plain === true ? null : new PlanRunner(plan, model);
  if (runner !== null) {
    runners.set(model, { runner, outputs: plan.outputs });
    registerFusedForward(model, ir, plan);
  }
  return {
    ir,
    model,
    trainingModel,
    inputNames: plan.inputs.map((i) => i.name),
    outputNames: ir.tasks.map((t) => t.name),
    taskIndex,
    dropoutSeeds: new Map(Object.entries(plan.dropoutSeeds)),
    plan,
    runner,
  };
}

/** Every initialiser constructor returns this base class. */
type TfInitializer = ReturnType<typeof tf.initializers.glorotUniform>;

function initializer(init: Initializer): TfInitializer {
  switch (init.type) {
    case "glorotUniform":
      return tf.initializers.glorotUniform({ seed: init.seed });
    case "heUniform":
      return tf.initializers.heUniform({ seed: init.seed });
    case "leCunUniform":
      return tf.initializers.leCunUniform({ seed: init.seed });
    case "randomUniform":
      return new SeededRandomUniform(init);
    case "zeros":
      return tf.initializers.zeros();
  }
}

function tfLayer({ name, spec }: PlanLayer): tf.layers.Layer {
  switch (spec.kind) {
    case "embedding":
      return tf.layers.embedding({ name, inputDim: spec.inputDim, outputDim: spec.outputDim, embeddingsInitializer: initializer(spec.embeddingsInitializer) });
    case "flatten":
      return tf.layers.flatten({ name });
    case "clampIds":
      return new ClampIds({ name, maxId: spec.maxId });
    case "maskedSequencePooling":
      return new MaskedSequencePooling({ name, mode: spec.mode });
    case "concatenate":
      return tf.layers.concatenate({ name, axis: spec.axis });
    case "dense":
      return tf.layers.dense({
        name,
        units: spec.units,
        activation: spec.activation,
        useBias: spec.useBias,
        kernelInitializer: initializer(spec.kernelInitializer),
        biasInitializer: initializer(spec.biasInitializer),
      });
    case "batchNormalization":
      return tf.layers.batchNormalization({ name, axis: spec.axis });
    case "activation":
      return tf.layers.activation({ name, activation: spec.activation });
    case "dropout":
      return tf.layers.dropout({ name, rate: spec.rate, seed: spec.seed });
    case "reshape":
      return tf.layers.reshape({ name, targetShape: spec.targetShape });
    case "dot":
      return tf.layers.dot({ name, axes: spec.axes });
    case "multiply":
      return tf.layers.multiply({ name });
    case "aitAttention":
      return new AitAttention({ name });
  }
}

/**
 * Running a built (or loaded) model on feature tensors keyed by name.
 * Returned tensors belong to the caller: call inside tf.tidy or dispose.
 */
import * as tf from "#tfjs";
import type { TaskOutputs } from "../loss/types.js";
import { fusedPredict, registeredIR } from "../fused/forward.js";
import { checkTableIds, namingFeature } from "../table-ids.js";
import { runnerOf, type BuiltModel } from "./build-model.js";

export type FeatureTensors = Record<string, tf.Tensor>;

/**
 * Orders `inputs` as `model.inputs` and lifts a [batch] categorical or numeric
 * column to the model's [batch, 1]; the encoder may hand over either.
 */
export function modelInputs(model: tf.LayersModel, inputs: FeatureTensors): tf.Tensor[] {
  return model.inputs.map((symbolic, i) => {
    const name = model.inputNames[i]!;
    const t = inputs[name];
    if (t === undefined) throw new Error(`no input tensor for feature '${name}'`);
    const wantsColumn = symbolic.shape.length === 2 && symbolic.shape[1] === 1;
    return wantsColumn && t.rank === 1 ? tf.reshape(t, [-1, 1]) : t;
  });
}

/**
 * Inference: every task's probability or value by task name, each [batch, 1].
 * The whole batch in one pass: model.predict would split it into batches of
 * 32, which made scoring 1,000 candidates over twice as slow.
 */
export function predictTasks(model: tf.LayersModel, inputs: FeatureTensors): Record<string, tf.Tensor> {
  const ir = registeredIR(model);
  const ids = (feature: string) => inputs[feature]?.dataSync();
  let fused: Record<string, tf.Tensor> | null;
  try {
    fused = fusedPredict(model, inputs);
  } catch (error) {
    throw ir === undefined ? error : namingFeature(error, ir, ids);
  }
  if (fused !== null) return fused;
  // An id outside its table is refused naming its feature, as training does (table-ids.ts): TF.js's gather would
  // throw without the feature, and a sequence's ids would be clamped into the table (ClampIds) and score another row.
  if (ir !== undefined) checkTableIds(ir, ids);
  const fast = runnerOf(model);
  return tf.tidy(() => {
    const raw =
      fast !== undefined
        ? fast.runner.run(modelInputs(model, inputs), false, fast.outputs)
        : (model.apply(modelInputs(model, inputs), { training: false }) as tf.Tensor | tf.Tensor[]);
    const outs = Array.isArray(raw) ? raw : [raw];
    return Object.fromEntries(model.outputNames.map((name, i) => [name, outs[i]!]));
  });
}

/**
 * One pass of the training model. With `training` true, Dropout drops and
 * BatchNormalization uses (and updates its moving statistics from) the batch.
 */
export function forward(built: BuiltModel, inputs: FeatureTensors, training: boolean): TaskOutputs {
  return tf.tidy(() => {
    const feeds = modelInputs(built.trainingModel, inputs);
    const raw =
      built.runner !== null
        ? built.runner.run(feeds, training, [...built.plan.outputs, ...built.ir.tasks.flatMap((t) => built.plan.logits[t.name] ?? [])])
        : built.trainingModel.apply(feeds, { training });
    const outs = (Array.isArray(raw) ? raw : [raw]) as tf.Tensor[];
    const values: Record<string, tf.Tensor> = {};
    const logits: Record<string, tf.Tensor> = {};
    for (const [task, index] of Object.entries(built.taskIndex)) {
      values[task] = outs[index.output]!;
      if (index.logit !== null) logits[task] = outs[index.logit]!;
    }
    return { values, logits };
  });
}

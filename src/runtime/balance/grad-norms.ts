/**
 * GradNorm's g_i = ||grad_W L_i|| for every trained task, at the weights the
 * step's loss was computed with. TF.js differentiates one scalar per pass, so
 * each task's loss is computed again (same inputs, same dropout seeds, so the
 * same masks) and differentiated with respect to W alone, which only walks
 * back from the task's head to W. Batch normalisation's moving statistics,
 * which a training-mode pass updates, are put back afterwards so the extra
 * passes leave the model as one step would.
 */
import * as tf from "#tfjs";
import type { BuiltModel } from "../graph/build-model.js";
import { forward, type FeatureTensors } from "../graph/forward.js";
import { computeLoss } from "../loss/compute-loss.js";
import type { LossBatch } from "../loss/types.js";

/** The kernels of `layers` (GradNorm's W) in the training model. */
export function kernelsOf(model: tf.LayersModel, layers: readonly string[]): tf.Variable[] {
  return layers.map((name) => {
    const kernel = model.getLayer(name).trainableWeights.find((w) => w.originalName.endsWith("/kernel"));
    if (kernel === undefined) throw new Error(`layer '${name}' has no kernel`);
    return kernel.read() as tf.Variable;
  });
}

export function taskGradNorms(
  built: BuiltModel,
  inputs: FeatureTensors,
  batch: LossBatch,
  kernels: readonly tf.Variable[],
  weights: Record<string, number>,
): Record<string, number> {
  const moving = built.trainingModel.nonTrainableWeights;
  const saved = moving.map((w) => tf.clone(w.read()));
  try {
    const norms: Record<string, number> = {};
    for (const task of Object.keys(weights)) {
      const { value, grads } = tf.variableGrads(() => computeLoss(built.ir, forward(built, inputs, true), batch, undefined, weights).perTask[task]!, [...kernels]);
      norms[task] = tf.tidy(() => tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g))))).dataSync()[0]!);
      tf.dispose([value, grads]);
    }
    return norms;
  } finally {
    moving.forEach((w, i) => w.write(saved[i]!));
    tf.dispose(saved);
  }
}

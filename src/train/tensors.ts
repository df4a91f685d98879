import * as tf from "#tfjs";
import type { EncodedBatch, EncodedFeatures } from "../data/encode/index.js";
import type { ValidIR } from "../ir/types.js";
import { graphInputs, type GraphInput } from "../ir/blocks.js";
import type { FeatureTensors } from "../runtime/graph/index.js";

const inputsOf = new WeakMap<ValidIR, GraphInput[]>();

/**
 * Encoded typed arrays → the tensors the model reads, by input name: ids [n]
 * int32, sequences [n, maxLen] int32, numbers [n] float32, numeric blocks
 * [n, width] float32.
 */
export function featureTensors(ir: ValidIR, encoded: EncodedFeatures): FeatureTensors {
  let inputs = inputsOf.get(ir);
  if (inputs === undefined) inputsOf.set(ir, (inputs = graphInputs(ir)));
  const out: FeatureTensors = {};
  for (const input of inputs) {
    const values = encoded.features[input.name]!;
    if (input.kind === "numericBlock") {
      out[input.name] = tf.tensor2d(values as Float32Array, [encoded.size, input.features.length], "float32");
      continue;
    }
    const feature = input.feature;
    if (feature.kind === "sequence") out[feature.name] = tf.tensor2d(values as Int32Array, [encoded.size, feature.maxLen], "int32");
    else if (feature.kind === "categorical") out[feature.name] = tf.tensor1d(values as Int32Array, "int32");
    else out[feature.name] = tf.tensor1d(values as Float32Array, "float32");
  }
  return out;
}

export interface BatchTensors {
  inputs: FeatureTensors;
  labels: Record<string, tf.Tensor>;
  masks: Record<string, tf.Tensor>;
}

export function batchTensors(ir: ValidIR, encoded: EncodedBatch): BatchTensors {
  const map = (arrays: Record<string, Float32Array>) => Object.fromEntries(Object.entries(arrays).map(([k, v]) => [k, tf.tensor1d(v, "float32")]));
  return { inputs: featureTensors(ir, encoded), labels: map(encoded.labels), masks: map(encoded.masks) };
}

export function disposeBatch(batch: BatchTensors): void {
  tf.dispose([...Object.values(batch.inputs), ...Object.values(batch.labels), ...Object.values(batch.masks)]);
}

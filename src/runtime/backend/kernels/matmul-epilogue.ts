import type * as tf from "@tensorflow/tfjs";
import { runWasmKernel } from "./run-kernel.js";

/** The activations tfjs can fuse into a matrix product. */
export type Activation = "linear" | "relu" | "relu6" | "prelu" | "leakyrelu" | "sigmoid" | "elu";

/**
 * Adds the bias and applies the activation with separate kernels. Consumes
 * `product` (it, and every step but the result, go to `temporaries`).
 */
export function epilogue(
  product: tf.TensorInfo,
  bias: tf.TensorInfo | undefined,
  activation: Activation,
  preluWeights: tf.TensorInfo | undefined,
  attrs: tf.NamedAttrMap,
  backend: {},
  temporaries: tf.TensorInfo[],
): tf.TensorInfo {
  let y = product;
  if (bias != null) {
    temporaries.push(y);
    y = runWasmKernel("Add", { a: y, b: bias }, backend);
  }
  const activated = applyActivation(y, activation, preluWeights, attrs, backend);
  if (activated !== y) temporaries.push(y);
  return activated;
}

export function applyActivation(
  x: tf.TensorInfo,
  activation: Activation,
  preluWeights: tf.TensorInfo | undefined,
  attrs: tf.NamedAttrMap,
  backend: {},
): tf.TensorInfo {
  switch (activation) {
    case "linear":
      return x;
    case "relu":
      return runWasmKernel("Relu", { x }, backend);
    case "relu6":
      return runWasmKernel("Relu6", { x }, backend);
    case "sigmoid":
      return runWasmKernel("Sigmoid", { x }, backend);
    case "elu":
      return runWasmKernel("Elu", { x }, backend);
    case "leakyrelu":
      return runWasmKernel("LeakyRelu", { x }, backend, {
        alpha: (attrs["leakyreluAlpha"] as number | undefined) ?? 0.2,
      });
    case "prelu":
      if (preluWeights == null) throw new Error("prelu activation needs preluActivationWeights");
      return runWasmKernel("Prelu", { x, alpha: preluWeights }, backend);
    default:
      throw new Error(`Unsupported fused activation '${String(activation)}'`);
  }
}

/**
 * Element-wise activations of the fused step, forward and backward, over the
 * first `count` values of flat buffers. Each backward reads the activation's
 * output `y` (and, for swish only, its input `z`), so a layer keeps one
 * buffer per activation, not two. Formulas and constants are TF.js's (so the
 * fused and the plain path agree within float rounding).
 */
import type { LayerSpec } from "../../plan/layer-plan.js";

type DenseActivation = Extract<LayerSpec, { kind: "dense" }>["activation"];
export type FusedActivation = DenseActivation | Extract<LayerSpec, { kind: "activation" }>["activation"];

/** TF.js's SELU constants (tfjs-core selu_util). */
const SELU_SCALE = 1.0507009873554804934193349852946;
const SELU_ALPHA = 1.6732632423543772848170429916717;

/** The activations the fused step implements; another (gelu) sends the model down the plain path. */
export const FUSED_ACTIVATIONS: ReadonlySet<string> = new Set<FusedActivation>(["linear", "relu", "tanh", "sigmoid", "elu", "selu", "swish", "softmax"]);

/** True when the backward pass needs the pre-activation values (swish only). */
export const needsInput = (activation: FusedActivation): boolean => activation === "swish";

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * y = act(z) for `rows` rows of `width` values (softmax is per row); `y` may be `z`.
 */
export function activate(activation: FusedActivation, z: Float32Array, y: Float32Array, rows: number, width: number): void {
  const count = rows * width;
  switch (activation) {
    case "linear":
      if (y !== z) y.set(z.subarray(0, count));
      return;
    case "relu":
      // Branch-free (see dense.ts): exact for finite values.
      for (let i = 0; i < count; i++) y[i] = (z[i]! + Math.abs(z[i]!)) * 0.5;
      return;
    case "tanh":
      for (let i = 0; i < count; i++) y[i] = Math.tanh(z[i]!);
      return;
    case "sigmoid":
      for (let i = 0; i < count; i++) y[i] = sigmoid(z[i]!);
      return;
    case "elu":
      for (let i = 0; i < count; i++) y[i] = z[i]! > 0 ? z[i]! : Math.expm1(z[i]!);
      return;
    case "selu":
      for (let i = 0; i < count; i++) y[i] = z[i]! > 0 ? SELU_SCALE * z[i]! : SELU_SCALE * SELU_ALPHA * Math.expm1(z[i]!);
      return;
    case "swish":
      for (let i = 0; i < count; i++) y[i] = z[i]! * sigmoid(z[i]!);
      return;
    case "softmax":
      for (let r = 0; r < rows; r++) {
        const at = r * width;
        let max = -Infinity;
        for (let j = 0; j < width; j++) max = Math.max(max, z[at + j]!);
        let total = 0;
        for (let j = 0; j < width; j++) {
          const e = Math.exp(z[at + j]! - max);
          y[at + j] = e;
          total += e;
        }
        for (let j = 0; j < width; j++) y[at + j] = y[at + j]! / total;
      }
      return;
    case "gelu":
      throw new Error("the fused step has no gelu (fusedSupport sends such models down the plain path)");
  }
}

/**
 * dz = dy * act'(z), from the output `y` (and the input `z` for swish); `dz` may be `dy`.
 */
export function activateBackward(
  activation: FusedActivation,
  y: Float32Array,
  z: Float32Array | null,
  dy: Float32Array,
  dz: Float32Array,
  rows: number,
  width: number,
): void {
  const count = rows * width;
  switch (activation) {
    case "linear":
      if (dz !== dy) dz.set(dy.subarray(0, count));
      return;
    case "relu":
      for (let i = 0; i < count; i++) dz[i] = dy[i]! * +(y[i]! > 0);
      return;
    case "tanh":
      for (let i = 0; i < count; i++) dz[i] = dy[i]! * (1 - y[i]! * y[i]!);
      return;
    case "sigmoid":
      for (let i = 0; i < count; i++) dz[i] = dy[i]! * y[i]! * (1 - y[i]!);
      return;
    case "elu":
      for (let i = 0; i < count; i++) dz[i] = y[i]! > 0 ? dy[i]! : dy[i]! * (y[i]! + 1);
      return;
    case "selu":
      for (let i = 0; i < count; i++) dz[i] = y[i]! > 0 ? dy[i]! * SELU_SCALE : dy[i]! * (y[i]! + SELU_SCALE * SELU_ALPHA);
      return;
    case "swish":
      for (let i = 0; i < count; i++) {
        const s = sigmoid(z![i]!);
        dz[i] = dy[i]! * (s + z![i]! * s * (1 - s));
      }
      return;
    case "softmax":
      for (let r = 0; r < rows; r++) {
        const at = r * width;
        let dot = 0;
        for (let j = 0; j < width; j++) dot += dy[at + j]! * y[at + j]!;
        for (let j = 0; j < width; j++) dz[at + j] = y[at + j]! * (dy[at + j]! - dot);
      }
      return;
    case "gelu":
      throw new Error("the fused step has no gelu");
  }
}

/**
 * Adam on the fused step's dense weights, in place in the TF.js optimiser's
 * own slots, with in-place-adam.ts's float32 rounding of every intermediate
 * (TF.js's kernels round there too), so a step leaves the optimiser exactly
 * as an ordinary tf.AdamOptimizer's would be left, for getWeights,
 * checkpoints and the plain path.
 */
import type * as tf from "@tensorflow/tfjs";
import { adamConstants, zeroSlot, type AdamFields } from "../graph/in-place-adam.js";
import type { Param } from "./buffers.js";

const f32 = Math.fround;

/** Creates the moments of `params` (in their order, as applyGradients would) where they are missing. */
export function ensureSlots(adam: AdamFields, params: readonly Param[]): void {
  params.forEach(({ variable }, i) => {
    adam.accumulatedFirstMoment[i] ??= { originalName: `${variable.name}/m`, variable: zeroSlot(variable) };
    adam.accumulatedSecondMoment[i] ??= { originalName: `${variable.name}/v`, variable: zeroSlot(variable) };
  });
}

/** The slots' variables in `params` order: m, v of each. */
export function slotVariables(adam: AdamFields, count: number): tf.Variable[] {
  return Array.from({ length: count }, (_, i) => [adam.accumulatedFirstMoment[i]!.variable, adam.accumulatedSecondMoment[i]!.variable]).flat();
}

/**
 * One update of every param with a gradient; `acc1`, `acc2` view accBeta1
 * and accBeta2, `moments` each param's m and v (slotVariables order).
 *
 * The same formula as tf.train.adam, m and v stored in float32 as there, but
 * evaluated in double with one division and one square root per value
 * instead of rounding each of about ten intermediates to float32 (which made
 * Adam a fifth of a small model's step): the weights agree with the plain
 * path's within float32 rounding, not bit for bit.
 */
export function adamUpdate(adam: AdamFields, params: readonly Param[], acc1: Float32Array, acc2: Float32Array, moments: readonly Float32Array[]): void {
  const { b1, b2, c1, c2, correction1, correction2, epsilon, step } = adamConstants(adam, acc1[0]!, acc2[0]!);
  const rate = step / correction1;
  const inverse2 = 1 / correction2;
  for (let i = 0; i < params.length; i++) {
    const p = params[i]!;
    if (!p.gradSet) continue;
    const w = p.view;
    const g = p.grad;
    const m = moments[2 * i]!;
    const v = moments[2 * i + 1]!;
    for (let k = 0, n = w.length; k < n; k++) {
      const gk = g[k]!;
      const mk = f32(m[k]! * b1 + gk * c1);
      const vk = f32(v[k]! * b2 + gk * gk * c2);
      m[k] = mk;
      v[k] = vk;
      w[k] = w[k]! + (rate * mk) / (Math.sqrt(vk * inverse2) + epsilon);
    }
  }
  acc1[0] = f32(acc1[0]! * b1);
  acc2[0] = f32(acc2[0]! * b2);
  adam.incrementIterations();
}

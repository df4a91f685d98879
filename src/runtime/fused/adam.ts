/**
 * Adam on the fused step's dense weights, in place in the TF.js optimiser's
 * own slots, with in-place-adam.ts's float32 rounding of every intermediate
 * (TF.js's kernels round there too), so a step leaves the optimiser exactly
 * as an ordinary tf.AdamOptimizer's would be left, for getWeights,
 * checkpoints and the plain path.
 */
import type * as tf from "@tensorflow/tfjs";
import { adamConstants, adamInPlace, zeroSlot, type AdamFields } from "../graph/in-place-adam.js";
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
 */
export function adamUpdate(adam: AdamFields, params: readonly Param[], acc1: Float32Array, acc2: Float32Array, moments: readonly Float32Array[]): void {
  const constants = adamConstants(adam, acc1[0]!, acc2[0]!);
  params.forEach((p, i) => {
    if (p.gradSet) adamInPlace(constants, p.view, p.grad, moments[2 * i]!, moments[2 * i + 1]!);
  });
  acc1[0] = f32(acc1[0]! * constants.b1);
  acc2[0] = f32(acc2[0]! * constants.b2);
  adam.incrementIterations();
}

/**
 * Adam on the fused step's dense weights, in place in the TF.js optimiser's
 * own slots, with in-place-adam.ts's float32 rounding of every intermediate
 * (TF.js's kernels round there too), so a step leaves the optimiser exactly
 * as an ordinary tf.AdamOptimizer's would be left, for getWeights,
 * checkpoints and the plain path.
 */
import type * as tf from "@tensorflow/tfjs";
import { HeapArray } from "../backend/tensor-memory.js";
import { adamKernelsFor, type AdamFactors } from "../graph/adam-wasm.js";
import { adamConstants, zeroSlot, type AdamFields } from "../graph/in-place-adam.js";
import type { Param } from "./buffers.js";

const f32 = Math.fround;

/** Floats in a cache line: each gradient in the heap starts on one. */
const LINE_FLOATS = 16;

/**
 * Per optimiser: one block in the wasm heap for every param's gradient, at
 * `offsets` (floats, `lengths` long), so the products write the gradients where
 * adam-wasm.ts's kernel reads them, beside the weights and moments (TF.js
 * variables in the heap). Copying each gradient there instead took 0.2 ms
 * of a recsys-MMoE step. null: not the wasm backend, or no room (the
 * gradients stay JavaScript arrays, and Adam runs its JavaScript loop).
 */
const gradientBlocks = new WeakMap<AdamFields, { block: HeapArray; offsets: number[]; lengths: number[] } | null>();

/**
 * Creates the moments of `params` (in their order, as applyGradients would)
 * where they are missing, and the gradients' block in the heap. Allocates:
 * call before taking views.
 */
export function ensureSlots(adam: AdamFields, params: readonly Param[]): void {
  params.forEach(({ variable }, i) => {
    adam.accumulatedFirstMoment[i] ??= { originalName: `${variable.name}/m`, variable: zeroSlot(variable) };
    adam.accumulatedSecondMoment[i] ??= { originalName: `${variable.name}/v`, variable: zeroSlot(variable) };
  });
  if (gradientBlocks.has(adam)) return;
  const offsets: number[] = [];
  const lengths = params.map((p) => p.grad.length);
  let total = 0;
  for (const length of lengths) {
    offsets.push(total);
    total += Math.ceil(length / LINE_FLOATS) * LINE_FLOATS;
  }
  const block = HeapArray.create(total);
  gradientBlocks.set(adam, block === null ? null : { block, offsets, lengths });
}

/**
 * Points each param's gradient at its place in the heap block (a view, made
 * again when the heap has moved); the params as given to ensureSlots. Call
 * after the step's last allocation, as for the weights' views.
 */
export function bindGradients(adam: AdamFields, params: readonly Param[]): void {
  const found = gradientBlocks.get(adam);
  if (found === undefined || found === null) return;
  const floats = found.block.floats;
  params.forEach((p, i) => {
    const at = found.offsets[i]!;
    // A view of a heap that has moved is detached (length 0): the lengths are the ones ensureSlots saw.
    if (p.grad.buffer !== floats.buffer || p.grad.byteOffset !== floats.byteOffset + 4 * at) p.grad = floats.subarray(at, at + found.lengths[i]!);
  });
}

/** Returns the gradients' heap block (the step's dispose); the params' gradient views must not be used after. */
export function releaseGradients(adam: AdamFields): void {
  gradientBlocks.get(adam)?.block.free();
  gradientBlocks.delete(adam);
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
 * path's within float32 rounding, not bit for bit. On the wasm backend
 * adam-wasm.ts's kernel evaluates the same expressions, to the same bits,
 * where the gradients lie in the heap (bindGradients).
 */
export function adamUpdate(adam: AdamFields, params: readonly Param[], acc1: Float32Array, acc2: Float32Array, moments: readonly Float32Array[]): void {
  const { b1, b2, c1, c2, correction1, correction2, epsilon, step } = adamConstants(adam, acc1[0]!, acc2[0]!);
  const factors: AdamFactors = { beta1: b1, c1, beta2: b2, c2, rate: step / correction1, inverse2: 1 / correction2, epsilon };
  for (let i = 0; i < params.length; i++) {
    const p = params[i]!;
    if (!p.gradSet) continue;
    const m = moments[2 * i]!;
    const v = moments[2 * i + 1]!;
    const kernels = adamKernelsFor([p.view, p.grad, m, v]);
    const done = kernels === null ? 0 : kernels.dense(p.view, p.grad, m, v, factors);
    denseAdam(p.view, p.grad, m, v, factors, done);
  }
  acc1[0] = f32(acc1[0]! * b1);
  acc2[0] = f32(acc2[0]! * b2);
  adam.incrementIterations();
}

/** The update of w[from..] in JavaScript (all of it where the kernel cannot run, else an odd count's last value). */
export function denseAdam(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, f: AdamFactors, from: number): void {
  const { beta1, c1, beta2, c2, rate, inverse2, epsilon } = f;
  for (let k = from, n = w.length; k < n; k++) {
    const gk = g[k]!;
    const mk = f32(m[k]! * beta1 + gk * c1);
    const vk = f32(v[k]! * beta2 + gk * gk * c2);
    m[k] = mk;
    v[k] = vk;
    w[k] = w[k]! + (rate * mk) / (Math.sqrt(vk * inverse2) + epsilon);
  }
}

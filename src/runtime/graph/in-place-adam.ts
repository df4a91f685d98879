/**
 * TF.js's Adam, applied in place in one loop per variable.
 *
 * tf.train.adam runs about a dozen kernels per variable per step (moments,
 * bias correction, square root, update, three assigns), each allocating a
 * tensor. On a small model the step is mostly that bookkeeping: 28 variables
 * of the MMoE synthetic model made Adam 40% of a step at batch 64. Where the
 * backend exposes tensor memory (wasm, cpu; backend/tensor-memory.ts) this
 * optimiser does the same arithmetic for each small variable in one pass over
 * its own storage (large ones keep TF.js's kernels, see IN_PLACE_MAX_SIZE), rounding every intermediate to float32 exactly where TF.js's
 * kernels do, so the weights, moments and powers are bit for bit those of
 * tf.train.adam (test/runtime/graph/in-place-adam.test.ts). On any other
 * backend it is tf.train.adam.
 *
 * It keeps TF.js's slots (`accumulatedFirstMoment`, `accumulatedSecondMoment`,
 * `accBeta1`, `accBeta2`), so getWeights/setWeights, checkpoints and
 * restoreOptimizerPowers see an ordinary Adam.
 */
import * as tf from "#tfjs";
import { ownStorage, sharesStorage, supportsInPlaceWrites, writableRows } from "../backend/tensor-memory.js";

const f32 = Math.fround;

/**
 * Variables of at most this many values are updated in one JavaScript loop;
 * larger ones by TF.js's kernels (the same formula), whose vectorised passes
 * beat the loop once a variable's size dwarfs the per-kernel overhead.
 */
export const IN_PLACE_MAX_SIZE = 2_048;

export interface Slot {
  originalName: string;
  variable: tf.Variable;
}

/** The fields of tf.AdamOptimizer this class works on (public in the JavaScript, not in the typings). */
export interface AdamFields {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: Slot[];
  accumulatedSecondMoment: Slot[];
  incrementIterations(): void;
}

type Gradients = Parameters<tf.AdamOptimizer["applyGradients"]>[0];

export class InPlaceAdam extends tf.AdamOptimizer {
  override applyGradients(variableGradients: Gradients): void {
    if (!supportsInPlaceWrites()) {
      super.applyGradients(variableGradients);
      return;
    }
    const self = this as unknown as AdamFields;
    const entries = Array.isArray(variableGradients)
      ? variableGradients.map((v) => [v.name, v.tensor] as const)
      : Object.entries(variableGradients as Record<string, tf.Tensor>);
    const registered = tf.engine().registeredVariables;
    // The slots first: creating them allocates, which may move the wasm heap under the views below.
    entries.forEach(([name], i) => {
      const value = registered[name]!;
      self.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: zeroSlot(value) };
      self.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: zeroSlot(value) };
    });
    const small = entries.flatMap(([name, gradient], i) => {
      const value = registered[name]!;
      return gradient != null && value.size <= IN_PLACE_MAX_SIZE ? [{ i, value, gradient }] : [];
    });
    // Large variables: TF.js's kernels, which run over big arrays faster than a loop in JavaScript.
    if (small.length < entries.filter(([, gradient]) => gradient != null).length) tf.tidy(() => {
      const correction1 = tf.sub(1, self.accBeta1);
      const correction2 = tf.sub(1, self.accBeta2);
      entries.forEach(([name, gradient], i) => {
        const value = registered[name]!;
        if (gradient == null || value.size <= IN_PLACE_MAX_SIZE) return;
        const m = self.accumulatedFirstMoment[i]!.variable;
        const v = self.accumulatedSecondMoment[i]!.variable;
        const mNext = tf.add(tf.mul(m, self.beta1), tf.mul(gradient, 1 - self.beta1));
        const vNext = tf.add(tf.mul(v, self.beta2), tf.mul(tf.square(gradient), 1 - self.beta2));
        m.assign(mNext);
        v.assign(vNext);
        const step = tf.div(tf.div(mNext, correction1), tf.add(tf.sqrt(tf.div(vNext, correction2)), self.epsilon));
        value.assign(tf.add(tf.mul(step, -self.learningRate), value));
      });
    });

    const targets = [self.accBeta1, self.accBeta2, ...small.flatMap(({ i, value }) => [value, self.accumulatedFirstMoment[i]!.variable, self.accumulatedSecondMoment[i]!.variable])];
    // A variable created from (or assigned) a tensor shares its storage; writing it would change that tensor too.
    for (const target of targets) if (sharesStorage(target)) ownStorage(target);

    // No allocation from here on: the views stay valid.
    const acc1 = writableRows(self.accBeta1)!;
    const acc2 = writableRows(self.accBeta2)!;
    const constants = adamConstants(self, acc1[0]!, acc2[0]!);
    for (const { i, value, gradient } of small) {
      const m = writableRows(self.accumulatedFirstMoment[i]!.variable)!;
      const v = writableRows(self.accumulatedSecondMoment[i]!.variable)!;
      adamInPlace(constants, writableRows(value)!, writableRows(gradient)!, m, v);
    }
    acc1[0] = f32(acc1[0]! * constants.b1);
    acc2[0] = f32(acc2[0]! * constants.b2);
    // The wasm backend's XNNPACK products cache each weight matrix packed, keyed by its storage, so a
    // weight written in place would still be multiplied as it was. New storage retires the packing
    // (after the writes above: allocating may move the wasm heap under the views).
    if (tf.getBackend() === "wasm") for (const { value } of small) ownStorage(value);
    self.incrementIterations();
  }
}

/** Adam's factors for one step, rounded to float32 where TF.js's kernels hold them. */
export interface AdamConstants {
  b1: number;
  b2: number;
  c1: number;
  c2: number;
  correction1: number;
  correction2: number;
  epsilon: number;
  step: number;
}

/** The constants of the step whose beta powers (accBeta1, accBeta2) are `acc1`, `acc2`. */
export function adamConstants(adam: Pick<AdamFields, "beta1" | "beta2" | "epsilon" | "learningRate">, acc1: number, acc2: number): AdamConstants {
  return {
    b1: f32(adam.beta1),
    b2: f32(adam.beta2),
    c1: f32(1 - adam.beta1),
    c2: f32(1 - adam.beta2),
    correction1: f32(1 - acc1),
    correction2: f32(1 - acc2),
    epsilon: f32(adam.epsilon),
    step: f32(-adam.learningRate),
  };
}

/** Adam on weights `w` with gradient `g` and moments `m`, `v`, rounding every intermediate to float32 as TF.js's kernels do. */
export function adamInPlace(k: AdamConstants, w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array): void {
  const { b1, b2, c1, c2, correction1, correction2, epsilon, step } = k;
  for (let i = 0; i < w.length; i++) {
    const gi = g[i]!;
    const mi = f32(f32(m[i]! * b1) + f32(gi * c1));
    const vi = f32(f32(v[i]! * b2) + f32(f32(gi * gi) * c2));
    m[i] = mi;
    v[i] = vi;
    const denominator = f32(f32(Math.sqrt(f32(vi / correction2))) + epsilon);
    w[i] = f32(f32(f32(f32(mi / correction1) / denominator) * step) + w[i]!);
  }
}

export function zeroSlot(value: tf.Variable): tf.Variable {
  return tf.tidy(() => tf.zerosLike(value).variable(false));
}

/**
 * InPlaceAdam is tf.train.adam's math bit for bit: the same weights, moments
 * and beta powers after several steps, on both backends that expose tensor
 * memory, including a variable whose storage another tensor shares, a
 * variable without a gradient in one step, and one too large for the loop.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { InPlaceAdam, IN_PLACE_MAX_SIZE } from "../../../src/runtime/graph/in-place-adam.js";
import { onBackend, pseudoRandom } from "../backend/helpers.js";

// The last is larger than IN_PLACE_MAX_SIZE: TF.js's kernels update it, the same formula.
const SHAPES = [[7, 5], [5], [3, 4], [65, 32]] as const;
const STEPS = 5;

/** Runs `optimizer` for STEPS steps on fresh variables; returns every number it changed. */
async function trajectory(optimizer: tf.Optimizer, tag: string): Promise<Record<string, number[]>> {
  const initial = SHAPES.map((shape, i) => tf.tensor(pseudoRandom(tf.util.sizeFromShape([...shape]), i + 1), [...shape]));
  // The first variable shares its storage with `initial[0]`, which must not change.
  const variables = initial.map((t, i) => tf.variable(t, true, `${tag}_${i}`));
  const before = initial[0]!.dataSync().slice();
  for (let step = 0; step < STEPS; step++) {
    const grads: tf.NamedTensorMap = {};
    variables.forEach((v, i) => {
      // The last variable gets no gradient on step 2: Adam leaves it and its slots alone. (Not another:
      // TF.js's Adam finds slots by position in the gradient map, so a gap would misalign them.)
      if (i === SHAPES.length - 1 && step === 2) return;
      // Large and tiny gradients both, so rounding differences would show.
      grads[v.name] = tf.tensor(pseudoRandom(v.size, 100 * step + i).map((x, k) => (k % 3 === 0 ? x * 1e3 : x * 1e-4)), v.shape);
    });
    optimizer.applyGradients(grads);
    tf.dispose(Object.values(grads));
  }
  assert.deepEqual(initial[0]!.dataSync(), before, "a tensor sharing a variable's storage changed");
  const slots = await optimizer.getWeights();
  const internals = optimizer as unknown as { accBeta1: tf.Variable; accBeta2: tf.Variable };
  const out: Record<string, number[]> = {
    accBeta1: Array.from(internals.accBeta1.dataSync()),
    accBeta2: Array.from(internals.accBeta2.dataSync()),
  };
  variables.forEach((v, i) => (out[`w${i}`] = Array.from(v.dataSync())));
  slots.forEach((s, i) => (out[`slot${i}`] = Array.from(s.tensor.dataSync())));
  tf.dispose([...variables, ...initial]);
  optimizer.dispose();
  return out;
}

for (const backend of ["cpu", "wasm"] as const) {
  test(`InPlaceAdam gives tf.train.adam's weights, moments and powers exactly (${backend})`, async () => {
    await onBackend(backend, async () => {
      const expected = await trajectory(tf.train.adam(0.01, 0.8, 0.99, 1e-6), `${backend}_ref`);
      const actual = await trajectory(new InPlaceAdam(0.01, 0.8, 0.99, 1e-6), `${backend}_fast`);
      assert.deepEqual(Object.keys(actual), Object.keys(expected));
      for (const key of Object.keys(expected)) assert.deepEqual(actual[key], expected[key], key);
      assert.equal(new InPlaceAdam(0.01, 0.9, 0.999, 1e-7).getClassName(), "Adam");
      assert.ok(65 * 32 > IN_PLACE_MAX_SIZE && 7 * 5 <= IN_PLACE_MAX_SIZE);
    });
  });
}

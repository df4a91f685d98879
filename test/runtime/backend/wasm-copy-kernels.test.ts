import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { onBackend, pseudoRandom, values } from "./helpers.js";

/** Kernels that only move or add numbers: wasm must equal cpu (bit for bit where nothing is summed). */
const SLICES: readonly { shape: number[]; begin: number[]; size: number[] }[] = [
  { shape: [7], begin: [2], size: [4] },
  { shape: [5, 6], begin: [1, 0], size: [3, 6] }, // whole rows: one contiguous run
  { shape: [5, 6], begin: [0, 2], size: [5, 3] }, // a column band
  { shape: [4, 5, 6], begin: [1, 2, 3], size: [2, 3, 2] },
  { shape: [4, 5, 6], begin: [0, 1, 0], size: [4, 2, 6] }, // trailing axis whole
  { shape: [2, 3, 4, 5], begin: [1, 0, 1, 2], size: [1, 3, 2, -1] },
  { shape: [3, 4], begin: [1, 1], size: [0, 2] }, // empty
];

const SPLITS: readonly { shape: number[]; sizes: number | number[]; axis: number }[] = [
  { shape: [6, 8], sizes: 4, axis: 1 },
  { shape: [6, 8], sizes: [1, 5, -1], axis: 0 },
  { shape: [4, 8, 3], sizes: 8, axis: 1 }, // a gate's expert stack
  { shape: [3, 5, 7], sizes: [2, 5], axis: -1 },
];

function both<T>(compute: () => T): Promise<[T, T]> {
  return Promise.all([onBackend("wasm", compute)]).then(async ([wasm]) => [wasm, await onBackend("cpu", compute)]);
}

for (const { shape, begin, size } of SLICES) {
  test(`wasm slice of [${shape}] from [${begin}] size [${size}] equals cpu`, async () => {
    const [wasm, cpu] = await both(() => {
      const x = tf.tensor(pseudoRandom(shape.reduce((p, d) => p * d, 1), 3), shape);
      const s = tf.slice(x, begin, size);
      return { shape: s.shape, values: values(s) };
    });
    assert.deepEqual(wasm, cpu);
  });
}

for (const { shape, sizes, axis } of SPLITS) {
  test(`wasm split of [${shape}] into ${JSON.stringify(sizes)} on axis ${axis} equals cpu`, async () => {
    const [wasm, cpu] = await both(() => {
      const x = tf.tensor(pseudoRandom(shape.reduce((p, d) => p * d, 1), 5), shape);
      return tf.split(x, sizes, axis).map((p) => ({ shape: p.shape, values: values(p) }));
    });
    assert.deepEqual(wasm, cpu);
  });
}

test("wasm: the gradient of a concatenation (a SplitV) equals cpu's", async () => {
  const [wasm, cpu] = await both(() => {
    const parts = [3, 1, 4].map((w, i) => tf.tensor(pseudoRandom(5 * w, 10 + i), [5, w]));
    const weights = tf.tensor(pseudoRandom(5 * 8, 20), [5, 8]);
    const grads = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(tf.concat(xs, 1), weights)))(parts);
    return grads.map(values);
  });
  assert.deepEqual(wasm, cpu);
});

const CONCATS: readonly { shapes: number[][]; axis: number }[] = [
  { shapes: Array.from({ length: 9 }, () => [6, 1]), axis: 1 }, // narrow numeric features
  { shapes: [[4, 40], [4, 3], [4, 33]], axis: 1 }, // wide and narrow pieces
  { shapes: [[5, 1, 7], [5, 1, 7], [5, 1, 7]], axis: 1 }, // a gate's expert stack
  { shapes: [[2, 3], [4, 3]], axis: 0 },
  { shapes: [[3, 0], [3, 2], [3, 1]], axis: -1 }, // an empty piece
];

for (const { shapes, axis } of CONCATS) {
  test(`wasm concat of ${JSON.stringify(shapes)} on axis ${axis} equals cpu`, async () => {
    const [wasm, cpu] = await both(() => {
      const xs = shapes.map((shape, i) => tf.tensor(pseudoRandom(shape.reduce((p, d) => p * d, 1), 40 + i), shape));
      const c = tf.concat(xs, axis);
      return { shape: c.shape, values: values(c) };
    });
    assert.deepEqual(wasm, cpu);
  });
}

test("wasm: an int32 concat equals cpu", async () => {
  const [wasm, cpu] = await both(() => values(tf.concat([tf.tensor2d([[1], [2]], [2, 1], "int32"), tf.tensor2d([[3, 4], [5, 6]], [2, 2], "int32")], 1)));
  assert.deepEqual(wasm, cpu);
});

const SUMS: readonly { shape: number[]; axis: number | number[]; keepDims: boolean }[] = [
  { shape: [7, 5], axis: 0, keepDims: false }, // a bias gradient
  { shape: [4, 3, 5], axis: [0, 1], keepDims: true },
  { shape: [4, 3, 5], axis: [1, 0], keepDims: false }, // unsorted axes
  { shape: [4, 3, 5], axis: 1, keepDims: false }, // not leading: the stock kernel
  { shape: [4, 3], axis: [0, 1], keepDims: false }, // all axes: the stock kernel
];

for (const { shape, axis, keepDims } of SUMS) {
  test(`wasm sum of [${shape}] over ${JSON.stringify(axis)} (keepDims ${keepDims}) matches cpu`, async () => {
    const [wasm, cpu] = await both(() => {
      const s = tf.sum(tf.tensor(pseudoRandom(shape.reduce((p, d) => p * d, 1), 60), shape), axis, keepDims);
      return { shape: s.shape, values: values(s) };
    });
    assert.deepEqual(wasm.shape, cpu.shape);
    wasm.values.forEach((v, i) => assert.ok(Math.abs(v - cpu.values[i]!) < 1e-5, `value ${i}: ${v} vs ${cpu.values[i]}`));
  });
}

test("wasm: a clone shares storage yet outlives its source, and memory is released when both are gone", async () => {
  await onBackend("wasm", () => {
    const before = tf.memory().numDataBuffers;
    const x = tf.tensor(pseudoRandom(1000, 70), [10, 100]);
    const copy = tf.clone(x);
    assert.equal(tf.memory().numDataBuffers - before, 1, "one buffer for both");
    const expected = values(x);
    x.dispose();
    assert.deepEqual(values(copy), expected);
    copy.dispose();
    assert.equal(tf.memory().numDataBuffers, before);
  });
});

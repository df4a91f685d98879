import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { liveCounts, onBackend, pseudoRandom, pseudoRandomInts } from "./helpers.js";

/**
 * Runs `work` (which disposes what it creates) and checks that neither the
 * engine's tensor count nor the wasm/cpu backends' buffer counts grew: our
 * kernels create backend-level intermediates that the engine never tracks.
 */
function assertNoLeak(label: string, work: () => void): void {
  work(); // warm-up: first calls may create lasting caches (e.g. optimizer slots)
  const before = liveCounts();
  for (let i = 0; i < 3; i++) work();
  assert.deepEqual(liveCounts(), before, `${label} leaked`);
}

test("matMul and fused matMul on every path leave no tensors or buffers behind", async () => {
  await onBackend("wasm", () => {
    const shapes: [number[], number[]][] = [
      [[], []],
      [[3], [3]],
      [[2], []],
      [[], [2]],
    ];
    for (const [batchA, batchB] of shapes) {
      for (const transposeA of [false, true]) {
        for (const transposeB of [false, true]) {
          const label = `batch ${batchA}/${batchB} transposeA=${transposeA} transposeB=${transposeB}`;
          const aShape = transposeA ? [...batchA, 7, 5] : [...batchA, 5, 7];
          const bShape = transposeB ? [...batchB, 6, 7] : [...batchB, 7, 6];
          const a = tf.tensor(
            pseudoRandom(
              aShape.reduce((p, d) => p * d, 1),
              1,
            ),
            aShape,
          );
          const b = tf.tensor(
            pseudoRandom(
              bShape.reduce((p, d) => p * d, 1),
              2,
            ),
            bShape,
          );
          const bias = tf.tensor1d(pseudoRandom(6, 3));
          const matrixBias = tf.tensor2d(pseudoRandom(30, 4), [5, 6]);
          assertNoLeak(label, () =>
            tf.tidy(() => {
              tf.matMul(a, b, transposeA, transposeB).dataSync();
              tf.fused.matMul({ a, b, transposeA, transposeB, bias, activation: "relu" }).dataSync();
              tf.fused.matMul({ a, b, transposeA, transposeB, bias: matrixBias, activation: "sigmoid" }).dataSync();
            }),
          );
          tf.dispose([a, b, bias, matrixBias]);
        }
      }
    }
  });
});

test("embedding gradients (UnsortedSegmentSum) leave no tensors or buffers behind", async () => {
  await onBackend("wasm", () => {
    const table = tf.variable(tf.tensor2d(pseudoRandom(100 * 8, 5), [100, 8]));
    const ids = tf.tensor1d(pseudoRandomInts(64, 100, 6), "int32");
    assertNoLeak("gather gradient", () => {
      const { value, grads } = tf.variableGrads(() => tf.gather(table, ids).square().sum() as tf.Scalar, [table]);
      grads[table.name]!.dataSync();
      tf.dispose([value, grads[table.name]!]);
    });
    tf.dispose([table, ids]);
  });
});

test("kernels delegated to cpu leave no buffers behind on either backend", async () => {
  await onBackend("wasm", () => {
    const input = tf.tensor4d(pseudoRandom(1 * 4 * 4 * 2, 7), [1, 4, 4, 2]);
    const filter = tf.tensor4d(pseudoRandom(2 * 2 * 2 * 3, 8), [2, 2, 2, 3]);
    assertNoLeak("conv2d gradient and einsum", () =>
      tf.tidy(() => {
        tf.grad((f: tf.Tensor) => tf.conv2d(input, f as tf.Tensor4D, 1, "valid").sum())(filter).dataSync();
        tf.einsum("ij,jk->ik", tf.ones([2, 3]), tf.ones([3, 2])).dataSync();
      }),
    );
    tf.dispose([input, filter]);
  });
});

test("Adam training steps of a dense model leave no tensors or buffers behind", async () => {
  await onBackend("wasm", () => {
    const model = tf.sequential({
      layers: [tf.layers.dense({ inputShape: [16], units: 32, activation: "relu" }), tf.layers.dense({ units: 1 })],
    });
    const optimizer = tf.train.adam(0.01);
    const x = tf.tensor2d(pseudoRandom(64 * 16, 9), [64, 16]);
    const y = tf.tensor2d(
      Float32Array.from(pseudoRandom(64, 10), (v) => (v > 0 ? 1 : 0)),
      [64, 1],
    );
    assertNoLeak("adam step", () => {
      const loss = optimizer.minimize(
        () => tf.losses.sigmoidCrossEntropy(y, model.apply(x) as tf.Tensor) as tf.Scalar,
        true,
      );
      loss?.dispose();
    });
    optimizer.dispose();
    model.dispose();
    tf.dispose([x, y]);
  });
});

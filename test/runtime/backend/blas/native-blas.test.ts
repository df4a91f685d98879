import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { loadNativeBlas, type NativeBlas } from "../../../../src/runtime/backend/blas/native-blas.js";
import { SMALL_PRODUCT } from "../../../../src/runtime/backend/kernels/blas-matmul.js";
import { availableCores } from "../../../../src/runtime/parallel/cores.js";
import { onBackend, pseudoRandom, referenceBlas, values, withNativeBlas } from "../helpers.js";

test("MTL_BLAS=off turns the native path off without being an error", () => {
  for (const setting of ["off", "OFF", "0", "none"]) {
    const status = loadNativeBlas({ MTL_BLAS: setting });
    assert.equal(status.blas, null);
    assert.equal(status.blas === null && status.requested, false, setting);
  }
});

test("a library named by MTL_BLAS that cannot load is reported with the path and the fixes", () => {
  const status = loadNativeBlas({ MTL_BLAS: "/nonexistent/libopenblas.so.0" });
  assert.equal(status.blas, null);
  assert.ok(status.blas === null && status.requested);
  assert.match(status.why!, /MTL_BLAS=\/nonexistent\/libopenblas\.so\.0 could not be used/);
  assert.match(status.why!, /apt-get install libopenblas0/);
  assert.match(status.why!, /unset MTL_BLAS/);
});

test("a library without cblas_sgemm is refused, not bound", () => {
  const status = loadNativeBlas({ MTL_BLAS: "libc.so.6" });
  assert.equal(status.blas, null);
  assert.match(status.why!, /cblas_sgemm/);
});

test("MTL_BLAS_THREADS must be a whole number of threads", () => {
  for (const threads of ["0", "-2", "1.5", "many"]) {
    const status = loadNativeBlas({ MTL_BLAS_THREADS: threads });
    assert.equal(status.blas, null, threads);
    assert.match(status.why!, new RegExp(`MTL_BLAS_THREADS=${threads.replace(".", "\\.")} is not a thread count`));
  }
});

test("OpenBLAS, when found, is asked for the thread count it was given, by default the cores available", (t) => {
  const status = loadNativeBlas({ MTL_BLAS_THREADS: "2" });
  if (status.blas === null) {
    if (process.env["CI"] !== undefined) assert.fail(`CI installs OpenBLAS, but: ${status.why}`);
    t.skip(status.why);
    return;
  }
  assert.equal(status.blas.threads, 2);
  assert.equal(loadNativeBlas({}).blas?.threads, availableCores());
  // What `mtl train --threads N` does once the backend is loaded; one thread for the rest of this process.
  status.blas.setThreads!(1);
  assert.equal(status.blas.threads, 1);
});

/** Records each sgemm call, then computes it with the reference. */
function recording(): { blas: NativeBlas; calls: { m: number; n: number; k: number; transposeA: boolean; transposeB: boolean }[] } {
  const calls: { m: number; n: number; k: number; transposeA: boolean; transposeB: boolean }[] = [];
  return {
    calls,
    blas: {
      library: "recording",
      threads: 1,
      sgemm(transposeA, transposeB, m, n, k, ...rest) {
        calls.push({ m, n, k, transposeA, transposeB });
        referenceBlas.sgemm(transposeA, transposeB, m, n, k, ...rest);
      },
    },
  };
}

test("products reach the native sgemm with transposes passed through and a stack of left matrices folded into one", async () => {
  // Every product here is above SMALL_PRODUCT multiply-adds, which stay in JavaScript.
  const { blas, calls } = recording();
  await withNativeBlas(blas, () =>
    onBackend("wasm", () => {
      const x = tf.tensor3d(pseudoRandom(2 * 32 * 16, 1), [2, 32, 16]);
      const w = tf.tensor2d(pseudoRandom(16 * 8, 2), [16, 8]);
      tf.matMul(tf.reshape(x, [64, 16]), tf.reshape(x, [64, 16]), true, false); // Xᵀ·X: a weight gradient
      tf.fused.matMul({ a: x, b: w, bias: tf.tensor1d(pseudoRandom(8, 6)), activation: "relu" }); // dense on 3-D input
      tf.matMul(x, tf.tensor3d(pseudoRandom(2 * 8 * 16, 3), [2, 8, 16]), false, true); // batched, B transposed
    }),
  );
  assert.deepEqual(calls, [
    { m: 16, n: 16, k: 64, transposeA: true, transposeB: false },
    { m: 64, n: 8, k: 16, transposeA: false, transposeB: false },
    { m: 32, n: 8, k: 16, transposeA: false, transposeB: true },
    { m: 32, n: 8, k: 16, transposeA: false, transposeB: true },
  ]);
  assert.ok(calls.every(({ m, n, k }) => m * n * k > SMALL_PRODUCT));
});

test("batch shapes that pair crosswise ([2,1] x [1,3]) are left to the stock kernel", async () => {
  // Only routing is checked: tfjs 4.22's own BatchMatMul fills 90 of the 180
  // values of this product on every backend.
  const { blas, calls } = recording();
  await withNativeBlas(blas, () =>
    onBackend("wasm", () => {
      const product = tf.matMul(tf.tensor4d(pseudoRandom(70, 4), [2, 1, 5, 7]), tf.tensor4d(pseudoRandom(126, 5), [1, 3, 7, 6]));
      assert.deepEqual(product.shape, [2, 3, 5, 6]);
    }),
  );
  assert.equal(calls.length, 0);
});

test("an empty inner dimension gives the bias (or zeros) without calling sgemm", async () => {
  const { blas, calls } = recording();
  const [plain, biased] = await withNativeBlas(blas, () =>
    onBackend("wasm", () => {
      const a = tf.zeros([3, 0]);
      const b = tf.zeros([0, 2]);
      return [
        values(tf.matMul(a, b)),
        values(tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, bias: tf.tensor1d([1, -2]), activation: "relu" })),
      ];
    }),
  );
  assert.equal(calls.length, 0);
  assert.deepEqual(plain, [0, 0, 0, 0, 0, 0]);
  assert.deepEqual(biased, [1, 0, 1, 0, 1, 0]);
});

test("the native path leaves no tensors or wasm buffers behind, bias and activation included", async () => {
  await withNativeBlas(referenceBlas, () =>
    onBackend("wasm", () => {
      const a = tf.tensor2d(pseudoRandom(6 * 5, 6), [6, 5]);
      const b = tf.tensor2d(pseudoRandom(5 * 4, 7), [5, 4]);
      const bias2d = tf.tensor2d(pseudoRandom(24, 8), [6, 4]);
      const before = tf.memory();
      for (const activation of ["linear", "relu", "sigmoid"] as const) {
        tf.tidy(() => {
          tf.fused.matMul({ a, b, bias: bias2d, activation });
          tf.fused.matMul({ a, b, transposeB: false, bias: tf.tensor1d([1, 2, 3, 4]), activation });
        });
      }
      const after = tf.memory();
      assert.equal(after.numTensors, before.numTensors);
      assert.equal(after.numBytes, before.numBytes);
      assert.equal((after as { numDataBuffers: number }).numDataBuffers, (before as { numDataBuffers: number }).numDataBuffers);
    }),
  );
});

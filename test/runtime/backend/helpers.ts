import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import type { NativeBlas } from "../../../src/runtime/backend/blas/native-blas.js";
import { activeNativeBlas, useNativeBlas } from "../../../src/runtime/backend/kernels/matmul-override.js";
import { type BackendName, selectBackend } from "../../../src/runtime/backend/select.js";

/**
 * Runs `compute` with `backend` current and returns plain numbers, so results
 * from different backends can be compared after the backend has changed.
 * Every tensor it creates is disposed; the previously selected backend is
 * restored so tests in one file don't depend on each other's order.
 */
export async function onBackend<T>(backend: BackendName, compute: () => T | Promise<T>): Promise<T> {
  const previous = tf.getBackend();
  await selectBackend(backend);
  try {
    tf.engine().startScope();
    try {
      return await compute();
    } finally {
      tf.engine().endScope();
    }
  } finally {
    if (previous != null && previous !== tf.getBackend()) await tf.setBackend(previous);
  }
}

/** Reads a tensor (or several) into plain arrays. */
export function values(t: tf.Tensor): number[] {
  return Array.from(t.dataSync());
}

/** Element-wise |actual - expected| <= tolerance, with the worst index in the message. */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance: number,
  label: string,
): void {
  assert.equal(actual.length, expected.length, `${label}: length ${actual.length} != ${expected.length}`);
  let worst = -1;
  let worstDiff = 0;
  for (let i = 0; i < actual.length; i++) {
    const diff = Math.abs(actual[i]! - expected[i]!);
    if (!(diff <= worstDiff)) {
      worst = i;
      worstDiff = diff;
    }
  }
  assert.ok(
    worst < 0 || worstDiff <= tolerance,
    `${label}: |${actual[worst]} - ${expected[worst]}| = ${worstDiff} > ${tolerance} at index ${worst}`,
  );
}

/** Reproducible values in [-1, 1): the same inputs must reach both backends. */
export function pseudoRandom(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    // xorshift32
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    out[i] = state / 2147483648 - 1;
  }
  return out;
}

export function pseudoRandomInts(count: number, maxExclusive: number, seed: number): Int32Array {
  return Int32Array.from(pseudoRandom(count, seed), (v) => Math.floor(((v + 1) / 2) * maxExclusive));
}

/**
 * Tensors and backend buffers alive now; equal before/after means no leak.
 * Buffers matter too: kernels create backend-level intermediates the engine
 * never counts as tensors. Reads the registry directly because findBackend()
 * would start initialising a backend as a side effect.
 */
export function liveCounts(): { tensors: number; wasmBuffers: number; cpuBuffers: number } {
  const registry = tf.engine().registry;
  return {
    tensors: tf.memory().numTensors,
    wasmBuffers: registry["wasm"]?.numDataIds() ?? 0,
    cpuBuffers: registry["cpu"]?.numDataIds() ?? 0,
  };
}

/**
 * A plain-JS sgemm with the NativeBlas contract (row-major, leading
 * dimensions, beta): runs the native-BLAS kernel path on machines without
 * OpenBLAS, so its offsets, batching and bias handling are tested everywhere.
 */
export const referenceBlas: NativeBlas = {
  library: "reference sgemm (test)",
  threads: 1,
  sgemm(transposeA, transposeB, m, n, k, a, lda, b, ldb, beta, c, ldc) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let p = 0; p < k; p++) {
          const av = transposeA ? a[p * lda + i]! : a[i * lda + p]!;
          const bv = transposeB ? b[j * ldb + p]! : b[p * ldb + j]!;
          sum += av * bv;
        }
        c[i * ldc + j] = sum + (beta === 0 ? 0 : beta * c[i * ldc + j]!);
      }
    }
  },
};

/** Runs `compute` with the wasm backend's products routed to `blas` (null: XNNPACK), then restores the previous routing. */
export async function withNativeBlas<T>(blas: NativeBlas | null, compute: () => T | Promise<T>): Promise<T> {
  // Initialising wasm picks the machine's BLAS: do it first, so the routing set here stands.
  const current = tf.getBackend();
  await selectBackend("wasm");
  if (current != null && current !== tf.getBackend()) await tf.setBackend(current);
  const previous = activeNativeBlas();
  useNativeBlas(blas);
  try {
    return await compute();
  } finally {
    useNativeBlas(previous);
  }
}

import * as tf from "#tfjs";
import type { NativeBlas } from "../blas/native-blas.js";
import { wasmFloat32View } from "../tensor-memory.js";
import { type Activation, applyActivation, epilogue } from "./matmul-epilogue.js";
import { disposeAll } from "./run-kernel.js";

/**
 * C = op(A)·op(B) (+ bias, activation) by a native sgemm reading and writing
 * the wasm heap in place. Native BLAS takes transposed operands at full
 * speed, so nothing is transposed or copied first.
 *
 * Returns null for what it does not handle (non-float32 operands, batch
 * shapes that broadcast both ways), which the caller computes as before.
 */
export function blasMatMul(
  blas: NativeBlas,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  bias: tf.TensorInfo | undefined,
  activation: Activation,
  preluWeights: tf.TensorInfo | undefined,
  attrs: tf.NamedAttrMap,
  backend: {},
): tf.TensorInfo | null {
  if (a.dtype !== "float32" || b.dtype !== "float32" || (bias != null && bias.dtype !== "float32")) return null;
  const m = a.shape[a.shape.length - (transposeA ? 1 : 2)]!;
  const k = a.shape[a.shape.length - (transposeA ? 2 : 1)]!;
  const n = b.shape[b.shape.length - (transposeB ? 2 : 1)]!;
  const batchShape = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const batch = tf.util.sizeFromShape(batchShape);
  const aBatch = tf.util.sizeFromShape(a.shape.slice(0, -2));
  const bBatch = tf.util.sizeFromShape(b.shape.slice(0, -2));
  // Each side either has one matrix per output matrix or one for all; a
  // [2,1] x [1,3] batch, which pairs them crosswise, is left to the caller.
  if ((aBatch !== batch && aBatch !== 1) || (bBatch !== batch && bBatch !== 1)) return null;

  // A bias of n values (any rank) is one per column: written into every row
  // of C first and accumulated onto with beta = 1. Others go through Add.
  const rowBias = bias != null && tf.util.sizeFromShape(bias.shape) === n && bias.shape.length >= 1 && bias.shape[bias.shape.length - 1] === n;
  const kernelBackend = backend as tf.KernelBackend & { makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo };
  const out = kernelBackend.makeOutput([...batchShape, m, n], "float32");
  // Views after the allocation: growing the heap detaches earlier ones.
  const c = wasmFloat32View(backend, out);
  if (rowBias) {
    const biasValues = wasmFloat32View(backend, bias);
    for (let row = 0; row < batch * m; row++) c.set(biasValues, row * n);
  }
  if (c.length > 0) {
    if (k === 0) {
      if (!rowBias) c.fill(0);
    } else {
      gemmBatches(blas, a, b, transposeA, transposeB, m, n, k, batch, aBatch, bBatch, rowBias ? 1 : 0, c, backend);
    }
  }

  const temporaries: tf.TensorInfo[] = [];
  try {
    if (!rowBias && bias != null) return epilogue(out, bias, activation, preluWeights, attrs, backend, temporaries);
    if (activation === "relu") {
      reluInPlace(c);
      return out;
    }
    const activated = applyActivation(out, activation, preluWeights, attrs, backend);
    if (activated !== out) temporaries.push(out);
    return activated;
  } finally {
    disposeAll(backend, temporaries);
  }
}

function gemmBatches(
  blas: NativeBlas,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  m: number,
  n: number,
  k: number,
  batch: number,
  aBatch: number,
  bBatch: number,
  beta: number,
  c: Float32Array,
  backend: {},
): void {
  const av = wasmFloat32View(backend, a);
  const bv = wasmFloat32View(backend, b);
  const lda = Math.max(1, transposeA ? m : k);
  const ldb = Math.max(1, transposeB ? k : n);
  const aSize = m * k;
  const bSize = k * n;
  const cSize = m * n;
  if (m * n * k <= SMALL_PRODUCT) {
    // Per matrix, a call into native code costs more than the product: an
    // MMoE gate's mix is one 1 x experts x width product per row.
    for (let i = 0; i < batch; i++) {
      smallGemm(transposeA, transposeB, m, n, k, av, aBatch === 1 ? 0 : i * aSize, lda, bv, bBatch === 1 ? 0 : i * bSize, ldb, beta, c, i * cSize);
    }
    return;
  }
  if (bBatch === 1 && !transposeA) {
    // Row-major storage: a stack of left matrices against one right matrix
    // is one tall matrix.
    blas.sgemm(false, transposeB, batch * m, n, k, av, lda, bv, ldb, beta, c, n);
    return;
  }
  for (let i = 0; i < batch; i++) {
    const ai = aBatch === 1 ? av : av.subarray(i * aSize, (i + 1) * aSize);
    const bi = bBatch === 1 ? bv : bv.subarray(i * bSize, (i + 1) * bSize);
    blas.sgemm(transposeA, transposeB, m, n, k, ai, lda, bi, ldb, beta, c.subarray(i * cSize, (i + 1) * cSize), n);
  }
}

/**
 * Multiply-adds of one matrix product below which JavaScript computes it:
 * a native call through koffi costs a few microseconds, about as much as
 * this many multiply-adds in a loop.
 */
export const SMALL_PRODUCT = 2048;

/** Scratch for smallGemm's row of double sums, grown when a wider one is needed. */
let doubleScratch = new Float64Array(256);

function doubleRow(n: number): Float64Array {
  if (doubleScratch.length < n) doubleScratch = new Float64Array(n);
  return doubleScratch;
}

/** C (m x n, at cOff, row-major) = op(A)·op(B) + beta·C, summed in double and rounded once to float32. */
function smallGemm(
  transposeA: boolean,
  transposeB: boolean,
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  aOff: number,
  lda: number,
  b: Float32Array,
  bOff: number,
  ldb: number,
  beta: number,
  c: Float32Array,
  cOff: number,
): void {
  // Element (i, p) of op(A) is at aOff + i·ai + p·ap; (p, j) of op(B) at bOff + p·bp + j·bj.
  const ai = transposeA ? 1 : lda;
  const ap = transposeA ? lda : 1;
  const bp = transposeB ? 1 : ldb;
  const bj = transposeB ? ldb : 1;
  if (!transposeB) {
    // B's rows are contiguous: walk them (and C's row) in order, keeping C's
    // row of sums in double, added in the same order p as below, so the
    // result is bit for bit the same. An MMoE gate's mix (1 x experts x width
    // per row) ran 3x faster this way at 1,000 rows.
    const sums = doubleRow(n);
    for (let i = 0; i < m; i++) {
      sums.fill(0, 0, n);
      let x = aOff + i * ai;
      for (let p = 0; p < k; p++, x += ap) {
        const weight = a[x]!;
        const row = bOff + p * bp;
        for (let j = 0; j < n; j++) sums[j] += weight * b[row + j]!;
      }
      const at = cOff + i * n;
      for (let j = 0; j < n; j++) c[at + j] = beta === 0 ? sums[j]! : c[at + j]! + sums[j]!;
    }
    return;
  }
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      let x = aOff + i * ai;
      let y = bOff + j * bj;
      for (let p = 0; p < k; p++, x += ap, y += bp) sum += a[x]! * b[y]!;
      const at = cOff + i * n + j;
      c[at] = beta === 0 ? sum : c[at]! + sum;
    }
  }
}

/**
 * max(x, 0) on the bits: a set sign bit (negative, -0, negative NaN) clears
 * the word to +0. Branch-free, so random signs cost no mispredictions: about
 * 10x faster than a compare per element on a 1000 x 256 activation.
 */
function reluInPlace(values: Float32Array): void {
  const bits = new Int32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < bits.length; i++) bits[i] = bits[i]! & ~(bits[i]! >> 31);
}

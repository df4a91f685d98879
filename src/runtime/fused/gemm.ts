/**
 * Row-major C = op(A)·op(B) + beta·C for the fused step: native BLAS for
 * products worth a native call, a JavaScript loop below SMALL_PRODUCT
 * multiply-adds (a call through koffi costs about as much as that many).
 */
import type { NativeBlas } from "../backend/blas/native-blas.js";
import { SMALL_PRODUCT } from "../backend/kernels/blas-matmul.js";

/** NativeBlas.sgemm's contract. */
export type Gemm = NativeBlas["sgemm"];

export function gemmOn(blas: NativeBlas): Gemm {
  return (transposeA, transposeB, m, n, k, a, lda, b, ldb, beta, c, ldc) => {
    if (m === 0 || n === 0) return;
    if (m * n * k > SMALL_PRODUCT) {
      blas.sgemm(transposeA, transposeB, m, n, k, a, lda, b, ldb, beta, c, ldc);
      return;
    }
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let total = 0;
        for (let p = 0; p < k; p++) total += a[transposeA ? p * lda + i : i * lda + p]! * b[transposeB ? j * ldb + p : p * ldb + j]!;
        const at = i * ldc + j;
        c[at] = beta === 0 ? total : total + beta * c[at]!;
      }
    }
  };
}

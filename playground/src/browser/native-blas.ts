/**
 * Browser version of src/runtime/backend/blas/native-blas.ts, which loads a
 * system OpenBLAS through the koffi FFI package. A page has neither, so the
 * BLAS is always unavailable: products stay on TF.js's own kernels, and the
 * fused train step (which needs a native BLAS) falls back to the plain step.
 */
import type { BlasStatus } from "../../../src/runtime/backend/blas/native-blas.js";

export type { BlasStatus, NativeBlas } from "../../../src/runtime/backend/blas/native-blas.js";

export class BlasUnavailableError extends Error {
  override name = "BlasUnavailableError";
}

export function loadNativeBlas(_env?: unknown): BlasStatus {
  return { blas: null, why: "a web page has no native BLAS", requested: false };
}

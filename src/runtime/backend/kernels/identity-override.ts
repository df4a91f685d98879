import type * as tf from "@tensorflow/tfjs";
import { overrideWasmKernel, restoreWasmKernel } from "./override.js";

/**
 * Replacement Identity kernel for the wasm backend: the output shares the
 * input's storage (reference-counted, as Reshape already does) instead of
 * copying it.
 *
 * TF.js saves every tensor a gradient will need through Identity, so a
 * training step on wasm copied each activation once more: over 300 copies
 * per dense-MMoE step. The cpu backend shares here too. Tensors are never
 * written in place by TF.js kernels, so sharing is safe; the one in-place
 * writer (sparse embedding updates) checks the reference count first.
 */
export function installIdentityOverride(): void {
  overrideWasmKernel("Identity", shareStorage);
}

/** Restores the stock kernel (for benchmarks and comparisons). Idempotent. */
export function uninstallIdentityOverride(): void {
  restoreWasmKernel("Identity");
}

interface RefCounting {
  incRef(dataId: tf.DataId): void;
}

function shareStorage(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const x = args.inputs["x"]!;
    if (x.dtype === "string") return original(args);
    (args.backend as unknown as RefCounting).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}

import * as tf from "#tfjs";

/**
 * Replacing a registered wasm kernel while keeping the one it replaced, so it
 * can be called for the cases a replacement leaves alone and restored for
 * side-by-side benchmarks.
 */

/** Marks our configs and keeps what they replaced. Symbol.for so a second copy
 * of this module (two bundles, say) still recognises them. */
const REPLACED: unique symbol = Symbol.for("mtl.runtime.backend.kernelOverride.replaced");

interface OverrideConfig extends tf.KernelConfig {
  readonly [REPLACED]: tf.KernelConfig;
}

function isOverride(config: tf.KernelConfig | undefined): config is OverrideConfig {
  return config != null && REPLACED in config;
}

/** Installs `replace(stock kernel)` for `kernelName` on wasm. Idempotent; skips a kernel wasm hasn't registered. */
export function overrideWasmKernel(kernelName: string, replace: (original: tf.KernelFunc) => tf.KernelFunc): void {
  const original = tf.getKernel(kernelName, "wasm");
  if (original == null || isOverride(original)) return;
  const replacement: OverrideConfig = {
    kernelName,
    backendName: "wasm",
    kernelFunc: replace(original.kernelFunc),
    // A stock kernel may bind its wasm export in setupFunc, which tfjs re-runs
    // on every setBackend; without it delegating to the original would break.
    ...(original.setupFunc ? { setupFunc: original.setupFunc } : {}),
    ...(original.disposeFunc ? { disposeFunc: original.disposeFunc } : {}),
    [REPLACED]: original,
  };
  tf.unregisterKernel(kernelName, "wasm");
  tf.registerKernel(replacement);
}

/** Puts the stock kernel back. Idempotent. */
export function restoreWasmKernel(kernelName: string): void {
  const current = tf.getKernel(kernelName, "wasm");
  if (!isOverride(current)) return;
  tf.unregisterKernel(kernelName, "wasm");
  tf.registerKernel(current[REPLACED]);
}

export function isWasmKernelOverridden(kernelName: string): boolean {
  return isOverride(tf.getKernel(kernelName, "wasm"));
}

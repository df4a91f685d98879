import * as tf from "#tfjs";
// Registers the stock wasm kernels, which the override below wraps.
import "./wasm-package.js";
import { CPU_DELEGATED_KERNELS, cpuDelegateConfig } from "./kernels/cpu-delegate.js";
import { installMatMulOverride } from "./kernels/matmul-override.js";
export { installConcatOverride, uninstallConcatOverride } from "./kernels/concat-override.js";
export { installGatherOverride, uninstallGatherOverride } from "./kernels/gather-override.js";
export { installIdentityOverride, uninstallIdentityOverride } from "./kernels/identity-override.js";
export { installSliceOverride, uninstallSliceOverride } from "./kernels/slice-override.js";
export { installSumOverride, uninstallSumOverride } from "./kernels/sum-override.js";
import { installConcatOverride } from "./kernels/concat-override.js";
import { installGatherOverride } from "./kernels/gather-override.js";
import { installIdentityOverride } from "./kernels/identity-override.js";
import { installSliceOverride } from "./kernels/slice-override.js";
import { installSumOverride } from "./kernels/sum-override.js";
import { unsortedSegmentSumConfig } from "./kernels/unsorted-segment-sum.js";

export {
  installMatMulOverride,
  isMatMulOverrideInstalled,
  uninstallMatMulOverride,
} from "./kernels/matmul-override.js";

/**
 * Makes the tfjs wasm backend usable and fast for training:
 * - registers kernels it lacks that gradients need (UnsortedSegmentSum for
 *   every gather/embedding gradient; conv backprop and Einsum via cpu);
 * - replaces BatchMatMul/_FusedMatMul so transposed operands take the fast
 *   XNNPACK path (and fused bias is right for batched operands);
 * - replaces Slice/SplitV, which copied their whole input per slice, and
 *   Sum over leading axes (every bias gradient), which transposed first,
 *   and Concat, which was slow for narrow pieces;
 * - makes Identity share storage instead of copying (TF.js saves every
 *   tensor a gradient needs through it);
 * - gathers whole rows (embedding lookups) with one short copy per row.
 *
 * Idempotent, and safe before or after the backend is initialised. A kernel
 * that a future tfjs registers natively is left alone.
 */
export function installWasmKernels(): void {
  registerIfMissing(unsortedSegmentSumConfig);
  for (const kernelName of CPU_DELEGATED_KERNELS) registerIfMissing(cpuDelegateConfig(kernelName));
  installMatMulOverride();
  installSliceOverride();
  installSumOverride();
  installConcatOverride();
  installIdentityOverride();
  installGatherOverride();
}

function registerIfMissing(config: tf.KernelConfig): void {
  if (tf.getKernel(config.kernelName, config.backendName) == null) tf.registerKernel(config);
}

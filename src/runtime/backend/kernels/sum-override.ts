import * as tf from "#tfjs";
import { asWasmBackend } from "./as-wasm-backend.js";
import { overrideWasmKernel, restoreWasmKernel } from "./override.js";

/**
 * Replacement Sum kernel for the wasm backend, for sums over leading axes.
 *
 * The stock kernel can only reduce innermost axes, so a sum over the batch
 * axis (the gradient of every bias: [batch, units] -> [units]) first
 * transposes the whole input. Summing rows into the output directly reads
 * the input once, in order. Other reductions go to the stock kernel.
 */

/** Installs the replacement. Idempotent; skipped if wasm has no Sum. */
export function installSumOverride(): void {
  overrideWasmKernel("Sum", leadingAxesSum);
}

/** Restores the stock kernels (for benchmarks and comparisons). Idempotent. */
export function uninstallSumOverride(): void {
  restoreWasmKernel("Sum");
}

function leadingAxesSum(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const x = args.inputs["x"]!;
    const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
    const rank = x.shape.length;
    const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
    const leading = axes.length > 0 && axes.length < rank && axes.every((a, i) => a === i);
    if (x.dtype !== "float32" || !leading) return original(args);

    const backend = asWasmBackend(args.backend);
    const kept = x.shape.slice(axes.length);
    const outShape = keepDims ? [...axes.map(() => 1), ...kept] : kept;
    const out = backend.makeOutput(outShape, "float32");
    const width = tf.util.sizeFromShape(kept);
    const rows = tf.util.sizeFromShape(x.shape.slice(0, axes.length));
    // Views only after makeOutput: an allocation can grow (and move) the heap.
    const from = backend.typedArrayFromHeap(x) as Float32Array;
    const to = backend.typedArrayFromHeap(out) as Float32Array;
    to.fill(0);
    for (let r = 0; r < rows; r++) {
      const base = r * width;
      for (let c = 0; c < width; c++) to[c] = to[c]! + from[base + c]!;
    }
    return out;
  };
}

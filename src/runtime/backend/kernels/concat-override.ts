import * as tf from "#tfjs";
import { asWasmBackend } from "./as-wasm-backend.js";
import { overrideWasmKernel, restoreWasmKernel } from "./override.js";

/**
 * Replacement Concat kernel for the wasm backend.
 *
 * The stock kernel copies each input's slice of each outer row with
 * `subarray` + `set`: two calls and a view object per piece. Concatenating 64
 * numeric features of width 1 over a batch of 1,024 is 65,536 such pieces
 * for 65,536 numbers. Narrow pieces are copied value by value instead; wide
 * ones keep the bulk copy.
 */

/** Below this many values a plain loop beats subarray + set. */
const BULK_COPY_FROM = 32;

/** Installs the replacement. Idempotent; skipped if wasm has no Concat. */
export function installConcatOverride(): void {
  overrideWasmKernel("Concat", fastConcat);
}

/** Restores the stock kernels (for benchmarks and comparisons). Idempotent. */
export function uninstallConcatOverride(): void {
  restoreWasmKernel("Concat");
}

function fastConcat(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const inputs = Object.values(args.inputs).filter((t): t is tf.TensorInfo => t != null);
    const first = inputs[0];
    if (first === undefined || first.dtype === "string" || inputs.length < 2) return original(args);
    const axis = tf.util.parseAxisParam((args.attrs as { axis: number | number[] }).axis, first.shape)[0]!;
    const nonEmpty = inputs.filter((t) => tf.util.sizeFromShape(t.shape) > 0);
    if (nonEmpty.length < 2) return original(args);
    tf.backend_util.assertParamsConsistent(inputs.map((t) => t.shape), axis);
    const outShape = tf.backend_util.computeOutShape(inputs.map((t) => t.shape), axis);

    const backend = asWasmBackend(args.backend);
    const out = backend.makeOutput(outShape, first.dtype);
    // Views only after makeOutput: an allocation can grow (and move) the heap.
    const to = backend.typedArrayFromHeap(out);
    const pieces = nonEmpty.map((t) => ({ from: backend.typedArrayFromHeap(t), width: tf.util.sizeFromShape(t.shape.slice(axis)) }));
    const outer = tf.util.sizeFromShape(first.shape.slice(0, axis));
    const rowWidth = pieces.reduce((sum, p) => sum + p.width, 0);
    let column = 0;
    for (const { from, width } of pieces) {
      if (width >= BULK_COPY_FROM) {
        for (let r = 0; r < outer; r++) to.set(from.subarray(r * width, (r + 1) * width), r * rowWidth + column);
      } else {
        for (let r = 0; r < outer; r++) {
          const src = r * width;
          const dst = r * rowWidth + column;
          for (let c = 0; c < width; c++) to[dst + c] = from[src + c]!;
        }
      }
      column += width;
    }
    return out;
  };
}

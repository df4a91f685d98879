import * as tf from "#tfjs";
import { asWasmBackend } from "./as-wasm-backend.js";
import { overrideWasmKernel, restoreWasmKernel } from "./override.js";

/**
 * Replacement Slice and SplitV kernels for the wasm backend.
 *
 * The stock Slice copies its whole input out of the wasm heap
 * (`backend.readSync`) before taking the slice, and the stock SplitV does
 * that once per piece. The gradient of every concatenation is a SplitV: a
 * gate's stack of 8 experts [1024, 8, 128] costs 8 copies of 4 MB per step,
 * the concat of 64 numeric features 64 copies of its input. Profiling the
 * dense-MMoE training step put over a third of its time there. These read
 * the input in place through a heap view instead, copying only the slice.
 */

const REPLACEMENTS: Readonly<Record<"Slice" | "SplitV", (original: tf.KernelFunc) => tf.KernelFunc>> = {
  Slice: (original) => (args) => {
    const x = args.inputs["x"]!;
    if (x.dtype === "string") return original(args);
    const { begin, size } = args.attrs as { begin: number | number[]; size: number | number[] };
    const [begin_, size_] = tf.slice_util.parseSliceParams(x, begin, size);
    return sliceOf(args.backend, x, begin_!, size_!);
  },
  SplitV: (original) => (args) => {
    const x = args.inputs["x"]!;
    if (x.dtype === "string") return original(args);
    const { numOrSizeSplits, axis } = args.attrs as { numOrSizeSplits: number | number[]; axis: number };
    const $axis = tf.util.parseAxisParam(axis, x.shape)[0]!;
    const sizes = tf.backend_util.prepareSplitSize(x, numOrSizeSplits, $axis);
    const begin = new Array<number>(x.shape.length).fill(0);
    return sizes.map((s) => {
      const size = [...x.shape];
      size[$axis] = s;
      const piece = sliceOf(args.backend, x, [...begin], size);
      begin[$axis]! += s;
      return piece;
    });
  },
};

/** Installs the replacements. Idempotent; skips kernels wasm hasn't registered. */
export function installSliceOverride(): void {
  for (const [kernelName, replace] of Object.entries(REPLACEMENTS)) overrideWasmKernel(kernelName, replace);
}

/** Restores the stock kernels (for benchmarks and comparisons). Idempotent. */
export function uninstallSliceOverride(): void {
  for (const kernelName of Object.keys(REPLACEMENTS)) restoreWasmKernel(kernelName);
}

/** The [begin, begin + size) block of `x`, copied row run by row run. */
function sliceOf(backendArg: unknown, x: tf.TensorInfo, begin: number[], size: number[]): tf.TensorInfo {
  const backend = asWasmBackend(backendArg);
  const out = backend.makeOutput(size, x.dtype);
  const total = tf.util.sizeFromShape(size);
  if (total === 0) return out;
  // Views only after makeOutput: an allocation can grow (and move) the heap.
  const from = backend.typedArrayFromHeap(x);
  const to = backend.typedArrayFromHeap(out);
  const rank = x.shape.length;
  if (rank === 0) {
    to.set(from.subarray(0, 1));
    return out;
  }
  const strides = [...tf.util.computeStrides(x.shape), 1];
  // Axes after `axis` are taken whole, so each run of `run` values is contiguous in x.
  let axis = rank - 1;
  while (axis > 0 && begin[axis] === 0 && size[axis] === x.shape[axis]) axis--;
  const run = size[axis]! * strides[axis]!;
  // Walk the indices of the axes before `axis` like an odometer; each position copies one run.
  const index = new Array<number>(axis).fill(0);
  for (let written = 0; written < total; written += run) {
    let offset = begin[axis]! * strides[axis]!;
    for (let d = 0; d < axis; d++) offset += (begin[d]! + index[d]!) * strides[d]!;
    to.set(from.subarray(offset, offset + run), written);
    for (let d = axis - 1; d >= 0; d--) {
      if (++index[d]! < size[d]!) break;
      index[d] = 0;
    }
  }
  return out;
}

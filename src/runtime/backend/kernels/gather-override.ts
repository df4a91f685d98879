import * as tf from "#tfjs";
import { wasmView } from "../tensor-memory.js";
import { overrideWasmKernel, restoreWasmKernel } from "./override.js";

/**
 * Replacement GatherV2 for the wasm backend. The stock kernel copies the
 * indices out to check them, with a closure per index, then runs a generic
 * strided loop with index arithmetic per element: about 0.75 ms for 1,000
 * embedding rows of 16, a fifth of a 1,000-candidate MMoE request once its
 * products run on a native BLAS. Here each gathered slice is one short copy
 * (27 us for the same lookup). It also gets batchDims right, which the stock
 * kernel (tfjs 4.22) reads out of bounds for.
 */
export function installGatherOverride(): void {
  overrideWasmKernel("GatherV2", sliceGather);
}

/** Restores the stock kernel (for benchmarks and comparisons). Idempotent. */
export function uninstallGatherOverride(): void {
  restoreWasmKernel("GatherV2");
}

/** An id outside a table of `size` rows, in the stock kernel's words, which callers may already match on. */
export function gatherIndexError(value: number, size: number): Error {
  return new Error(`GatherV2: the index value ${value} is not in [0, ${size - 1}]`);
}

type KernelBackend = { makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo; disposeData(dataId: tf.DataId): void };
type View = Int32Array | Uint8Array;

/** Views that copy a dtype's elements bit for bit (float32 as int32 words). */
const VIEW_TYPES: Partial<Record<tf.DataType, new (buffer: ArrayBufferLike, byteOffset: number, length: number) => View>> = {
  float32: Int32Array,
  int32: Int32Array,
  bool: Uint8Array,
};

function sliceGather(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x, indices } = args.inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
    const viewType = VIEW_TYPES[x.dtype];
    if (viewType === undefined || indices.dtype !== "int32" || x.shape.length === 0) return original(args);
    const axis = tf.util.parseAxisParam((args.attrs?.["axis"] as number | undefined) ?? 0, x.shape)[0]!;
    const batchDims = (args.attrs?.["batchDims"] as number | undefined) ?? 0;
    const info = tf.backend_util.segment_util.collectGatherOpShapeInfo(x as tf.Tensor, indices as tf.Tensor, axis, batchDims);

    const backend = args.backend as unknown as KernelBackend;
    const out = backend.makeOutput(info.outputShape, x.dtype);
    // Views after the allocation, which may have moved the heap.
    const ids = wasmView(backend, indices, Int32Array);
    const source = wasmView(backend, x, viewType) as View;
    const target = wasmView(backend, out, viewType) as View;
    // x as [batch, outer, dim, slice], indices as [batch, perBatch],
    // out as [batch, outer, perBatch, slice].
    const { batchSize, outerSize, dimSize, sliceSize } = info;
    const perBatch = batchSize === 0 ? 0 : ids.length / batchSize;
    for (let b = 0; b < batchSize; b++) {
      for (let o = 0; o < outerSize; o++) {
        const sourceBase = (b * outerSize + o) * dimSize;
        const targetBase = (b * outerSize + o) * perBatch;
        for (let i = 0; i < perBatch; i++) {
          const row = ids[b * perBatch + i]!;
          if (!(row >= 0 && row < dimSize)) {
            backend.disposeData(out.dataId);
            throw gatherIndexError(row, dimSize);
          }
          copySlice(source, (sourceBase + row) * sliceSize, target, (targetBase + i) * sliceSize, sliceSize);
        }
      }
    }
    return out;
  };
}

function copySlice(source: View, from: number, target: View, to: number, size: number): void {
  // A loop beats subarray + set (an object per call) for embedding-sized rows.
  if (size <= 64) {
    for (let j = 0; j < size; j++) target[to + j] = source[from + j]!;
  } else {
    target.set(source.subarray(from, from + size), to);
  }
}

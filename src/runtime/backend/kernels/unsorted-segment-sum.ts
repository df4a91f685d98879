import * as tf from "#tfjs";
import { asWasmBackend } from "./as-wasm-backend.js";

/**
 * UnsortedSegmentSum for the wasm backend, which ships none, although the
 * gradient of every tf.gather (so every embedding lookup) needs it.
 *
 * out[s, ...] = sum of x[i..., ...] over all index tuples i with
 * segmentIds[i] == s; ids outside [0, numSegments) are dropped, as in
 * TensorFlow and the cpu backend.
 *
 * A plain loop over the wasm heap is enough: the work is one pass over x
 * (batch x dim for an embedding gradient) plus zeroing the output, and it
 * avoids copying anything out of or into the heap.
 */
export const unsortedSegmentSumConfig: tf.KernelConfig = {
  kernelName: "UnsortedSegmentSum",
  backendName: "wasm",
  kernelFunc: ({ inputs, backend, attrs }) => {
    const wasm = asWasmBackend(backend);
    const x = inputs["x"];
    const segmentIds = inputs["segmentIds"];
    const numSegments = attrs?.["numSegments"];
    if (x == null || segmentIds == null) {
      throw new Error("UnsortedSegmentSum expects inputs x and segmentIds");
    }
    if (typeof numSegments !== "number" || !Number.isInteger(numSegments) || numSegments < 0) {
      throw new Error(`UnsortedSegmentSum: numSegments must be a non-negative integer, got ${String(numSegments)}`);
    }
    if (x.dtype !== "float32" && x.dtype !== "int32") {
      throw new Error(`UnsortedSegmentSum on wasm supports float32 and int32 x, got ${x.dtype}`);
    }
    if (segmentIds.dtype !== "int32") {
      throw new Error(`UnsortedSegmentSum: segmentIds must be int32, got ${segmentIds.dtype}`);
    }
    const idRank = segmentIds.shape.length;
    const isPrefix = idRank <= x.shape.length && segmentIds.shape.every((d, i) => d === x.shape[i]);
    if (!isPrefix) {
      throw new Error(
        `UnsortedSegmentSum: segmentIds shape [${segmentIds.shape}] must be a prefix of x shape [${x.shape}]`,
      );
    }

    const rowShape = x.shape.slice(idRank);
    const rowSize = tf.util.sizeFromShape(rowShape);
    const numIds = tf.util.sizeFromShape(segmentIds.shape);
    const out = wasm.makeOutput([numSegments, ...rowShape], x.dtype);
    // Views only after allocating: growing the heap detaches older views.
    const outValues = wasm.typedArrayFromHeap(out);
    const xValues = wasm.typedArrayFromHeap(x);
    const ids = wasm.typedArrayFromHeap(segmentIds);
    // The heap is not zeroed by malloc.
    outValues.fill(0);
    for (let i = 0; i < numIds; i++) {
      const segment = ids[i];
      if (segment < 0 || segment >= numSegments) continue;
      const src = i * rowSize;
      const dst = segment * rowSize;
      for (let j = 0; j < rowSize; j++) {
        outValues[dst + j] += xValues[src + j];
      }
    }
    return out;
  },
};

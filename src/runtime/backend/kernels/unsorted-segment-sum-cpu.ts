import * as tf from "#tfjs";

/**
 * UnsortedSegmentSum for the cpu backend. The stock kernel builds each output
 * row from several small tensor operations, so an embedding gradient costs
 * time proportional to the table size (seconds for a 10,000-row table per
 * step); this one is a single pass over the gradient rows.
 */
interface CpuBackendLike {
  readSync(dataId: object): tf.backend_util.BackendValues;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: tf.backend_util.BackendValues): tf.TensorInfo;
}

export const unsortedSegmentSumCpuConfig: tf.KernelConfig = {
  kernelName: "UnsortedSegmentSum",
  backendName: "cpu",
  kernelFunc: ({ inputs, backend, attrs }) => {
    const cpu = backend as unknown as CpuBackendLike;
    const x = inputs["x"]!;
    const segmentIds = inputs["segmentIds"]!;
    const numSegments = attrs?.["numSegments"] as number;
    const idRank = segmentIds.shape.length;
    const rowShape = x.shape.slice(idRank);
    const rowSize = tf.util.sizeFromShape(rowShape);
    const numIds = tf.util.sizeFromShape(segmentIds.shape);
    const xValues = cpu.readSync(x.dataId) as Float32Array | Int32Array;
    const ids = cpu.readSync(segmentIds.dataId) as Int32Array;
    const out = x.dtype === "int32" ? new Int32Array(numSegments * rowSize) : new Float32Array(numSegments * rowSize);
    for (let i = 0; i < numIds; i++) {
      const segment = ids[i]!;
      if (segment < 0 || segment >= numSegments) continue;
      const src = i * rowSize;
      const dst = segment * rowSize;
      for (let j = 0; j < rowSize; j++) out[dst + j]! += xValues[src + j]!;
    }
    return cpu.makeTensorInfo([numSegments, ...rowShape], x.dtype, out);
  },
};

/** Replaces the stock kernel once; later calls do nothing. */
export function installCpuKernels(): void {
  const current = tf.getKernel("UnsortedSegmentSum", "cpu");
  if (current?.kernelFunc === unsortedSegmentSumCpuConfig.kernelFunc) return;
  if (current) tf.unregisterKernel("UnsortedSegmentSum", "cpu");
  tf.registerKernel(unsortedSegmentSumCpuConfig);
}

import * as tf from "#tfjs";
import { silenceCpuFirstUseBanner } from "../cpu-banner.js";
import { asWasmBackend } from "./as-wasm-backend.js";

/**
 * Kernels the wasm backend lacks that training can reach (gradients of conv
 * layers, tf.einsum) and that are rare and heavy enough that porting them is
 * not worth it: they run on the cpu backend's implementation, with inputs
 * copied out of and the result copied back into the wasm heap.
 *
 * Complex-number, string and ragged kernels are not delegated: the wasm
 * backend cannot store complex64 tensors, and the others have no training use.
 */
export const CPU_DELEGATED_KERNELS = [
  "Conv2DBackpropFilter",
  "DepthwiseConv2dNativeBackpropFilter",
  "DepthwiseConv2dNativeBackpropInput",
  "Einsum",
] as const;

export function cpuDelegateConfig(kernelName: string): tf.KernelConfig {
  return {
    kernelName,
    backendName: "wasm",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const wasm = asWasmBackend(backend);
      const cpuKernel = tf.getKernel(kernelName, "cpu");
      const cpu = tf.findBackend("cpu");
      if (cpuKernel == null || cpu == null) {
        throw new Error(`Kernel '${kernelName}' is missing on wasm and the cpu backend cannot stand in`);
      }
      // Its "install tfjs-node" banner is noise when it only stands in for wasm.
      silenceCpuFirstUseBanner(cpu);
      const copies: tf.TensorInfo[] = [];
      const toCpu = (info: tf.TensorInfo): tf.TensorInfo => {
        const dataId = {};
        cpu.move(dataId, wasm.readSync(info.dataId), info.shape, info.dtype, 1);
        const copy = { dataId, shape: info.shape, dtype: info.dtype };
        copies.push(copy);
        return copy;
      };
      try {
        // Some kernels (Einsum) receive their inputs as an array, not a map.
        const cpuInputs = Array.isArray(inputs)
          ? (inputs as tf.TensorInfo[]).map(toCpu)
          : Object.fromEntries(Object.entries(inputs).map(([name, info]) => [name, info && toCpu(info)]));
        const result = cpuKernel.kernelFunc({ inputs: cpuInputs as tf.NamedTensorInfoMap, backend: cpu, attrs });
        const outputs = Array.isArray(result) ? result : [result];
        copies.push(...outputs);
        const onWasm = outputs.map((out) =>
          wasm.makeOutput(out.shape, out.dtype, undefined, cpu.readSync(out.dataId) as tf.backend_util.BackendValues),
        );
        return Array.isArray(result) ? onWasm : onWasm[0]!;
      } finally {
        for (const copy of copies) cpu.disposeData(copy.dataId, true);
      }
    },
  };
}

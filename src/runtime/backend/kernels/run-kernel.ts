import * as tf from "#tfjs";

/**
 * Calls another registered wasm kernel from inside a kernel. The result is a
 * backend-level tensor the engine never sees: the caller must either return
 * it or release it with `backend.disposeData`.
 */
export function runWasmKernel(
  kernelName: string,
  inputs: tf.NamedTensorInfoMap,
  backend: {},
  attrs: tf.NamedAttrMap = {},
): tf.TensorInfo {
  const kernel = tf.getKernel(kernelName, "wasm");
  if (kernel == null) throw new Error(`The wasm backend has no '${kernelName}' kernel registered`);
  const result = kernel.kernelFunc({ inputs, backend, attrs });
  if (Array.isArray(result)) throw new Error(`Kernel '${kernelName}' returned several outputs`);
  return result;
}

/** Releases backend-level tensors created inside a kernel. */
export function disposeAll(backend: {}, tensors: readonly tf.TensorInfo[]): void {
  const kernelBackend = backend as tf.KernelBackend;
  for (const t of tensors) kernelBackend.disposeData(t.dataId);
}

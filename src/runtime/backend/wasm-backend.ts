import * as tf from "#tfjs";
import { AVAILABLE, type Availability, unavailable } from "./availability.js";
import { type BlasStatus, loadNativeBlas } from "./blas/native-blas.js";
import { useNativeBlas } from "./kernels/matmul-override.js";
import { configureWasmBinaries } from "./wasm-binaries.js";
import { adviseWasmHeap } from "./huge-pages.js";
import { installWasmKernels } from "./wasm-kernels.js";

let blasStatus: BlasStatus | null = null;

/** Initialises the wasm backend from the local binaries, makes it current and
 * adds the kernels training needs, with products on a native BLAS when one is
 * present (see blas/native-blas.ts). */
export async function initWasmBackend(): Promise<Availability> {
  const binaries = configureWasmBinaries();
  if (!binaries.available) return binaries;
  installWasmKernels();
  if (!(await tf.setBackend("wasm"))) {
    return unavailable("the wasm module failed to initialise (see the warning above)");
  }
  // Before any tensor: the tables and weights are then faulted in 2 MiB at a time (huge-pages.ts).
  adviseWasmHeap((tf.engine().backend as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8);
  blasStatus = loadNativeBlas();
  useNativeBlas(blasStatus.blas);
  return AVAILABLE;
}

/** What computes the wasm backend's matrix products, once it is initialised. */
export function wasmMatMulStatus(): BlasStatus | null {
  return blasStatus;
}

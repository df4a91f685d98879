import * as tf from "@tensorflow/tfjs";
import { AVAILABLE, type Availability, unavailable } from "./availability.js";
import { configureWasmBinaries } from "./wasm-binaries.js";
import { installWasmKernels } from "./wasm-kernels.js";

/** Initialises the wasm backend from the local binaries, makes it current and
 * adds the kernels training needs. */
export async function initWasmBackend(): Promise<Availability> {
  const binaries = configureWasmBinaries();
  if (!binaries.available) return binaries;
  installWasmKernels();
  if (!(await tf.setBackend("wasm"))) {
    return unavailable("the wasm module failed to initialise (see the warning above)");
  }
  return AVAILABLE;
}

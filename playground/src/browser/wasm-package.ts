/** Browser version of src/runtime/backend/wasm-package.ts: the bundler takes the package as it is. */
import * as wasmPackage from "@tensorflow/tfjs-backend-wasm";

export { wasmPackage };

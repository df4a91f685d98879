import { createRequire } from "node:module";

/**
 * @tensorflow/tfjs-backend-wasm, loaded by require: importing it registers
 * the wasm backend and its stock kernels. Not by ESM import, which would make
 * Node scan the package's CommonJS for export names first (see
 * scripts/tfjs-module.ts, which does the same for @tensorflow/tfjs).
 */
export const wasmPackage = createRequire(import.meta.url)("@tensorflow/tfjs-backend-wasm") as typeof import("@tensorflow/tfjs-backend-wasm");

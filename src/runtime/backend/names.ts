/** Backend names, apart from select.ts so that option parsing does not load TensorFlow.js. */
export type BackendName = "node" | "wasm" | "cpu";

export const BACKEND_NAMES: readonly BackendName[] = ["node", "wasm", "cpu"];


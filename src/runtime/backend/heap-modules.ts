/**
 * Hand-assembled WebAssembly modules instantiated over the wasm backend's own
 * heap (its WebAssembly.Memory), so that their kernels read and write the
 * TF.js variables' storage and the HeapArrays (tensor-memory.ts) where they
 * are: graph/adam-wasm.ts (Adam), fused/table-kernels.ts (embedding rows).
 * One instance per module and heap; a module is compiled once.
 */
import * as tf from "#tfjs";
import { webAssembly } from "../../util/wasm-binary.js";

interface WasmBackendLike {
  wasm?: { asm?: { memory?: { buffer: ArrayBufferLike } } };
}

/** The wasm backend's heap memory now, or undefined on another backend. */
export function heapMemory(): { buffer: ArrayBufferLike } | undefined {
  return (tf.engine().backend as unknown as WasmBackendLike).wasm?.asm?.memory;
}

/** A module's bytes (built on first use), its compiled form (null: refused, e.g. no SIMD) and its instances per heap. */
export interface HeapModule {
  readonly bytes: () => Uint8Array;
  compiled?: object | null;
  readonly instances: WeakMap<object, Record<string, unknown> | null>;
}

export function heapModule(bytes: () => Uint8Array): HeapModule {
  return { bytes, instances: new WeakMap() };
}

/**
 * `module`'s exports over the backend's current heap, or null: another
 * backend, a runtime without WebAssembly or SIMD, or a heap it refused.
 */
export function heapExports(module: HeapModule): Record<string, unknown> | null {
  const memory = heapMemory();
  if (memory === undefined) return null;
  let exports = module.instances.get(memory);
  if (exports === undefined) {
    exports = instantiate(module, memory);
    module.instances.set(memory, exports);
  }
  return exports;
}

function instantiate(module: HeapModule, memory: object): Record<string, unknown> | null {
  const wasm = webAssembly();
  if (wasm === undefined) return null;
  if (module.compiled === undefined) {
    try {
      module.compiled = new wasm.Module(module.bytes());
    } catch {
      module.compiled = null; // a runtime without SIMD rejects the module
    }
  }
  if (module.compiled === null) return null;
  try {
    return new wasm.Instance(module.compiled, { e: { m: memory } }).exports;
  } catch {
    return null; // the memory was refused
  }
}

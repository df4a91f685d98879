/**
 * The memory a fused program's own tensors live in when WebAssembly SIMD runs:
 * one WebAssembly.Memory with the SIMD kernels (simd.ts) over it, so the
 * kernels take the tensors' byte addresses while the rest of the program (and
 * the native BLAS, through koffi) reads and writes the same floats through
 * Float32Array views.
 *
 * Growing a WebAssembly.Memory detaches every view of it, so a program lays
 * out all its tensors in one call (layout), once per batch size, and takes no
 * view it made before. A 32-bit memory holds at most 4 GiB (less in some
 * runtimes): a batch whose tensors do not fit gets no layout, and the
 * program keeps them in JavaScript arrays and runs its loops instead.
 */
import { WASM_PAGE, type WasmMemory } from "../../util/wasm-binary.js";
import { simdKernels, simdMemory, type SimdKernels } from "./simd.js";

/** A SIMD vector, in bytes: every region starts on one, so no row's first vector straddles two. */
const ALIGN = 16;

export interface Region {
  /** Byte address of the first float, for the kernels. */
  readonly address: number;
  readonly view: Float32Array;
}

export class SimdArena {
  readonly kernels: SimdKernels;

  private constructor(private readonly memory: WasmMemory) {
    this.kernels = simdKernels(memory);
  }

  /** An arena (of at most `maximumPages` pages if given), or null where WebAssembly SIMD is unavailable (the caller runs its JavaScript loops). */
  static create(maximumPages?: number): SimdArena | null {
    const memory = simdMemory(maximumPages);
    return memory === null ? null : new SimdArena(memory);
  }

  /**
   * Regions of the given sizes (in floats) from address 0, each aligned to a
   * SIMD vector, growing the memory once when they need more; every region
   * of an earlier layout is invalid from now on. null, and the memory as it
   * was, when they need more than the memory can grow to.
   */
  layout(floats: readonly number[]): Region[] | null {
    const bytes = floats.map((n) => Math.ceil((n * 4) / ALIGN) * ALIGN);
    const total = bytes.reduce((a, b) => a + b, 0);
    const pages = Math.ceil(total / WASM_PAGE) - this.memory.buffer.byteLength / WASM_PAGE;
    if (pages > 0) {
      try {
        this.memory.grow(pages);
      } catch (error) {
        if (error instanceof RangeError) return null; // past the maximum, or the runtime's limit
        throw error;
      }
    }
    let address = 0;
    return floats.map((n, i) => {
      const region = { address, view: new Float32Array(this.memory.buffer, address, n) };
      address += bytes[i]!;
      return region;
    });
  }
}

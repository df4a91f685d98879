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
 *
 * The memory is advised to use transparent huge pages (huge-pages.ts) before
 * its first layout is written, as the wasm heap is: a recsys-MMoE training
 * program's 27 MB of activations and gradients took 120 ms to fault in 4 KiB
 * at a time on this project's virtual machine, 40 ms with the advice. (Its
 * steps, whose products stream that memory, measured no different.)
 */
import { WASM_PAGE, type WasmMemory } from "../../util/wasm-binary.js";
import { simdKernels, simdMemory, type SimdKernels } from "./simd.js";
import { adviseWasmHeap } from "../backend/huge-pages.js";

/** A SIMD vector, in bytes: every region starts on one, so no row's first vector straddles two. */
const ALIGN = 16;

/**
 * Bytes between one region's end and the next one's start: three cache
 * lines. A batch's tensors are mostly multiples of 4 KiB (1,024 rows), so
 * without it a tensor's values and its gradient, which relu's backward and
 * the gates' mix backward read and write in one pass, start at the same
 * offset within a page: each store then aliases the loads that follow it
 * (4 KiB aliasing) and both map to the same cache sets. Three lines apart,
 * no two of the first 64 regions share an offset within a page. Measured on
 * recsys-MMoE steps (interleaved with the packed layout, on a loaded
 * machine): the gates' mix and its backward 0.84 -> 0.54 ms a step; whole
 * steps between 4% faster and 3% slower across runs (noise), ESMM unchanged.
 */
const GAP = 3 * 64;

export interface Region {
  /** Byte address of the first float, for the kernels. */
  readonly address: number;
  readonly view: Float32Array;
}

export class SimdArena {
  readonly kernels: SimdKernels;
  /** Whether the memory was advised (once it has pages: the advice covers the room it grows into). */
  private advised = false;

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
   * SIMD vector and GAP bytes after the one before, growing the memory once
   * when they need more; every region of an earlier layout is invalid from
   * now on. null, and the memory as it was, when they need more than the
   * memory can grow to.
   */
  layout(floats: readonly number[]): Region[] | null {
    const bytes = floats.map((n, i) => Math.ceil((n * 4) / ALIGN) * ALIGN + (i + 1 < floats.length ? GAP : 0));
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
    if (!this.advised && this.memory.buffer.byteLength > 0) {
      this.advised = true;
      adviseWasmHeap(new Uint8Array(this.memory.buffer));
    }
    let address = 0;
    return floats.map((n, i) => {
      const region = { address, view: new Float32Array(this.memory.buffer, address, n) };
      address += bytes[i]!;
      return region;
    });
  }
}

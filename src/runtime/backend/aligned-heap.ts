/**
 * Cache-line-aligned blocks of the wasm backend's heap, for large embedding
 * tables (and their optimiser slots) that are read and written a row at a
 * time.
 *
 * Why: the backend's malloc aligns to 8 bytes, so most 16-float rows (64
 * bytes) of a table straddle two cache lines, and every gathered or updated
 * row touched two lines instead of one (22 of the recsys benchmarks' 26
 * tables were so placed).
 *
 * How: a block is malloc'ed with ALIGNMENT - 8 bytes to spare and handed out
 * from its first aligned byte. The backend frees a tensor's storage by the
 * pointer it was given (disposeData: wasm._free(memoryOffset)), which for an
 * aligned block is not the pointer malloc returned, so the module's `_free`
 * is wrapped, once per backend instance: a pointer handed out here is
 * translated back to its malloc'ed one; any other passes through unchanged.
 */

/** The parts of the wasm backend's Emscripten module used here. */
export interface WasmHeapModule {
  _malloc(bytes: number): number;
  _free(pointer: number): void;
  HEAPU8: Uint8Array;
}

/** One cache line. */
export const ALIGNMENT = 64;
/** malloc's own alignment: the most a block can start past a line boundary. */
const MALLOC_ALIGNMENT = 8;

/** Per module: aligned pointer handed out -> the pointer malloc returned. */
const handedOut = new WeakMap<WasmHeapModule, Map<number, number>>();

function translations(wasm: WasmHeapModule): Map<number, number> {
  let known = handedOut.get(wasm);
  if (known !== undefined) return known;
  const table = new Map<number, number>();
  let free = wasm._free;
  const translatingFree = (pointer: number) => {
    const base = table.get(pointer);
    if (base === undefined) {
      free(pointer);
      return;
    }
    table.delete(pointer);
    free(base);
  };
  // Emscripten's `_free` is a stub that, on its first call, replaces Module._free with the wasm export:
  // a plain assignment here would be overwritten then. Such a replacement becomes what the wrapper calls.
  Object.defineProperty(wasm, "_free", {
    configurable: true,
    enumerable: true,
    get: () => translatingFree,
    set: (replacement: (pointer: number) => void) => {
      free = replacement;
    },
  });
  handedOut.set(wasm, table);
  known = table;
  return known;
}

/**
 * `bytes` of `wasm`'s heap starting on a cache line, or 0 when malloc
 * fails; free it with wasm._free (the wrapped one). The contents are not
 * written. May grow the heap, which detaches every view of it.
 */
export function alignedMalloc(wasm: WasmHeapModule, bytes: number): number {
  const table = translations(wasm);
  const base = wasm._malloc(bytes + ALIGNMENT - MALLOC_ALIGNMENT) >>> 0;
  if (base === 0) return 0;
  const aligned = Math.ceil(base / ALIGNMENT) * ALIGNMENT;
  if (aligned !== base) table.set(aligned, base);
  return aligned;
}

/** How many aligned blocks of `wasm` are live with a translated pointer (for tests). */
export function translatedBlocks(wasm: WasmHeapModule): number {
  return handedOut.get(wasm)?.size ?? 0;
}

/**
 * Transparent huge pages for the large buffers a model lives in: the wasm
 * heap (every weight, the embedding tables included) and the embedding
 * tables' optimiser slots.
 *
 * Why: the first write to each 4 KiB page of fresh memory is a page fault,
 * and on virtual machines (where each can also be a fault of the host) one
 * costs about 12 µs: the 166 MB of a recsys model's 26 tables took 0.45 s to
 * fault in while being initialised, and their two Adam slots twice that
 * during the first epoch. madvise(MADV_HUGEPAGE) lets the kernel map such a
 * region 2 MiB at a time: 200 MB filled in 20-330 ms instead of 540 ms,
 * measured. PyTorch's CPU allocator asks the same for its large blocks
 * (THP_MEM_ALLOC_ENABLE).
 *
 * A hint only: no byte changes, and it is ignored where the system does not
 * take it (not Linux, transparent huge pages set to "never", no koffi to call
 * libc with). A region touched sparsely then costs memory in 2 MiB steps
 * instead of 4 KiB ones. MTL_HUGE_PAGES=off turns it off.
 */
import { readFileSync } from "node:fs";
import { switchedOff } from "../../util/env-switch.js";
import { loadKoffi } from "./koffi.js";

const HUGE_PAGE = 2n * 1024n * 1024n;
/** Smaller buffers hold less than one aligned huge page, or too few for the advice to pay for its call. */
export const HUGE_PAGE_MIN_BYTES = 4 * 1024 * 1024;
/** linux/mman.h */
const MADV_HUGEPAGE = 14;

type Madvise = (address: bigint, length: bigint, advice: number) => number;

let madvise: Madvise | null | undefined;

/** libc's madvise with addresses as integers, or null where the advice cannot be given. */
function madviseFunction(): Madvise | null {
  if (madvise !== undefined) return madvise;
  madvise = null;
  if (process.platform !== "linux" || switchedOff(process.env["MTL_HUGE_PAGES"])) return null;
  const koffi = loadKoffi();
  if (typeof koffi === "string") return null;
  try {
    const call = koffi.load(null).func("int madvise(uintptr_t addr, size_t length, int advice)");
    madvise = (address, length, advice) => call(address, length, advice) as number;
  } catch {
    // A libc without madvise: nothing to advise with.
  }
  return madvise;
}

/** Asks for huge pages over the whole 2 MiB pages inside [start, end); true when the kernel took the advice. */
function adviseRange(start: bigint, end: bigint): boolean {
  const call = madviseFunction();
  if (call === null) return false;
  const from = (start + HUGE_PAGE - 1n) & ~(HUGE_PAGE - 1n);
  const to = end & ~(HUGE_PAGE - 1n);
  return to > from && call(from, to - from, MADV_HUGEPAGE) === 0;
}

/**
 * Advises huge pages for `view`'s memory, best before it is first written
 * (an untouched page is then mapped 2 MiB at a time). Views under
 * HUGE_PAGE_MIN_BYTES are left alone. Returns whether the advice was taken.
 */
export function adviseHugePages(view: ArrayBufferView): boolean {
  if (view.byteLength < HUGE_PAGE_MIN_BYTES || madviseFunction() === null) return false;
  const start = loadedKoffi().address(view);
  return adviseRange(start, start + BigInt(view.byteLength));
}

/**
 * Advises huge pages for a WebAssembly heap (`heap` views all of it): for
 * the memory it has and for the room it grows into, which V8 reserves right
 * after it (the inaccessible mapping that follows it in /proc/self/maps).
 * The wasm memory keeps its address when it grows, so one call covers every
 * later allocation. Returns whether the advice was taken.
 */
export function adviseWasmHeap(heap: Uint8Array): boolean {
  if (madviseFunction() === null) return false;
  const start = loadedKoffi().address(heap);
  return adviseRange(start, start + BigInt(Math.max(heap.byteLength, reservedAfter(start))));
}

/**
 * The bytes from `start` to the end of the mapping that begins there and the
 * inaccessible (---p) anonymous mapping right after it, V8's room to grow a
 * wasm memory; 0 when the maps do not show that.
 */
function reservedAfter(start: bigint): number {
  let maps: string;
  try {
    maps = readFileSync("/proc/self/maps", "utf8");
  } catch {
    return 0;
  }
  const ranges = maps.split("\n").map((line) => /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ (\S+)\s*(.*)$/.exec(line)).filter((m) => m !== null);
  const at = ranges.findIndex((m) => BigInt(`0x${m[1]}`) === start);
  if (at < 0) return 0;
  let end = BigInt(`0x${ranges[at]![2]}`);
  const next = ranges[at + 1];
  if (next !== undefined && BigInt(`0x${next[1]}`) === end && next[3] === "---p" && next[4] === "0" && next[5] === "") end = BigInt(`0x${next[2]}`);
  return Number(end - start);
}

function loadedKoffi(): { address(value: ArrayBufferView): bigint } {
  const koffi = loadKoffi();
  if (typeof koffi === "string") throw new Error(koffi);
  return koffi;
}

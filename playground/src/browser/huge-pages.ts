/**
 * Browser version of src/runtime/backend/huge-pages.ts, which advises the
 * kernel through libc (koffi) to map large buffers in huge pages. A page can
 * give no such advice: the buffers keep the browser's pages.
 */
export function adviseHugePages(_view: ArrayBufferView): boolean {
  return false;
}

export function adviseWasmHeap(_heap: Uint8Array): boolean {
  return false;
}

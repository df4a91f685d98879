/**
 * Writable access to a float32 tensor's own storage, for updating a few rows
 * of a large embedding table in place. TF.js has no in-place scatter: every
 * functional update of a 100,000-row table copies the whole table, which is
 * exactly the cost sparse updates exist to avoid.
 *
 * Only the wasm and cpu backends keep tensor data where JavaScript can reach
 * it; for any other backend (tfjs-node) `writableRows` returns null and the
 * caller takes the ordinary dense path.
 *
 * Writing in place is only sound while no other tensor shares the storage:
 * TF.js shares data between a variable and the tensor it was created or
 * assigned from, and between a tensor and its reshapes and clones. Callers
 * check `sharesStorage` before each write and call `ownStorage` when needed.
 */
import * as tf from "#tfjs";
import { ALIGNMENT, alignedMalloc, type WasmHeapModule } from "./aligned-heap.js";

interface WasmLike {
  dataIdMap: { get(dataId: object): { memoryOffset: number; refCount: number } | undefined };
  wasm: { HEAPU8: Uint8Array };
}

interface CpuLike {
  data: { get(dataId: object): { values?: unknown; refCount: number } | undefined };
}

/** The backends whose tensor memory `writableRows` can reach. */
export function supportsInPlaceWrites(): boolean {
  const name = tf.getBackend();
  return name === "wasm" || name === "cpu";
}

/**
 * A Float32Array aliasing `tensor`'s storage, or null when the current backend
 * does not expose it. The view is only valid until the next TF.js call that
 * may allocate (wasm memory can grow and move), so take it right before use.
 */
export function writableRows(tensor: tf.Tensor): Float32Array | null {
  if (tensor.dtype !== "float32") return null;
  const backend = tf.engine().backend as unknown;
  const dataId = tensor.dataId as object;
  switch (tf.getBackend()) {
    case "wasm":
      return (backend as WasmLike).dataIdMap.get(dataId) === undefined ? null : wasmView(backend as {}, tensor, Float32Array);
    case "cpu": {
      const entry = (backend as CpuLike).data.get(dataId);
      const values = entry?.values;
      return values instanceof Float32Array && values.length === tensor.size ? values : null;
    }
    default:
      return null;
  }
}

/**
 * A new float32 tensor whose storage is allocated but not written, for a
 * caller that fills all of it through writableRows at once; null on any
 * backend but wasm. tf.zeros or tf.tensor would first build the values in a
 * JavaScript array and copy them into the wasm heap: for a 41.6M-weight
 * table, 166 MB allocated, written and copied for nothing.
 */
export function unfilledFloat32(shape: number[]): tf.Tensor | null {
  if (tf.getBackend() !== "wasm") return null;
  const backend = tf.engine().backend as unknown as WasmOutputs;
  const bytes = tf.util.sizeFromShape(shape) * 4;
  // Large tensors (embedding tables) start on a cache line (aligned-heap.ts); the backend frees them as any other.
  const at = bytes >= ALIGNED_MIN_BYTES ? alignedMalloc(backend.wasm, bytes) : 0;
  return tf.engine().makeTensorFromTensorInfo(at === 0 ? backend.makeOutput(shape, "float32") : backend.makeOutput(shape, "float32", at), tf.engine().backend);
}

/** Tensors from this size up get cache-line-aligned storage from unfilledFloat32: a table's rows, not a bias. */
export const ALIGNED_MIN_BYTES = 64 * 1024;

interface WasmOutputs {
  wasm: WasmHeapModule;
  makeOutput(shape: number[], dtype: "float32", memoryOffset?: number): tf.TensorInfo;
}

/**
 * Gives `variable` (float32, on wasm) storage of its own that starts on a
 * cache line, copying its values, unless it already has such storage; a
 * table's storage changes when it is assigned (a checkpoint restored, a
 * model loaded) or copied by ownStorage. Returns whether it copied. On other
 * backends, or for small variables, only makes the storage its own
 * (ownStorage).
 */
export function ownAlignedStorage(variable: tf.Variable): boolean {
  const small = variable.size * 4 < ALIGNED_MIN_BYTES;
  if (tf.getBackend() !== "wasm" || small || variable.dtype !== "float32") {
    if (!sharesStorage(variable)) return false;
    ownStorage(variable);
    return true;
  }
  const backend = tf.engine().backend as unknown as WasmLike;
  if (!sharesStorage(variable) && backend.dataIdMap.get(variable.dataId as object)!.memoryOffset % ALIGNMENT === 0) return false;
  const copy = unfilledFloat32([...variable.shape])!;
  // Views after the allocation, which may have moved the heap.
  writableRows(copy)!.set(writableRows(variable)!);
  variable.assign(copy);
  copy.dispose();
  return true;
}

/** True when another tensor (a clone, a reshape, an assigned value) reads `tensor`'s storage. */
export function sharesStorage(tensor: tf.Tensor): boolean {
  return tf.engine().backend.refCount(tensor.dataId) > 1;
}

/** Gives `variable` storage that no other tensor shares (a copy of its value). */
export function ownStorage(variable: tf.Variable): void {
  const copy = tf.tensor(Float32Array.from(variable.dataSync()), variable.shape, "float32");
  variable.assign(copy);
  copy.dispose();
}

/**
 * A typed-array view of a wasm backend tensor's storage, for kernels that
 * work on it directly or hand it to native code. Valid until the next
 * allocation (the heap can move).
 */
export function wasmView<T extends Float32Array | Int32Array | Uint8Array>(
  backend: {},
  info: tf.TensorInfo,
  type: { new (buffer: ArrayBufferLike, byteOffset: number, length: number): T },
): T {
  const wasm = backend as WasmLike;
  const entry = wasm.dataIdMap.get(info.dataId as object);
  if (entry === undefined) throw new Error("The tensor's storage is not on the wasm backend (disposed?)");
  return new type(wasm.wasm.HEAPU8.buffer, entry.memoryOffset, tf.util.sizeFromShape(info.shape));
}

export function wasmFloat32View(backend: {}, info: tf.TensorInfo): Float32Array {
  return wasmView(backend, info, Float32Array);
}

/**
 * An array of float32 (or int32) values in the wasm backend's heap, outside
 * any tensor, for buffers that WebAssembly kernels over the heap
 * (graph/adam-wasm.ts) read next to the variables: a view is re-made after
 * the heap grows (which detaches the old one). Its block is freed when the
 * HeapArray is collected, whatever views remain: keep the HeapArray while
 * its views are used.
 */
export class HeapArray {
  private f32: Float32Array = new Float32Array(0);
  private i32: Int32Array = new Int32Array(0);
  private freed = false;

  private constructor(
    private readonly wasm: WasmHeapModule,
    /** Byte address of the block (cache-line aligned). */
    readonly address: number,
    readonly length: number,
  ) {}

  /** `length` values' room on the wasm backend, not written; null on any other backend or when malloc fails. */
  static create(length: number): HeapArray | null {
    if (tf.getBackend() !== "wasm") return null;
    const wasm = (tf.engine().backend as unknown as WasmOutputs).wasm;
    const address = alignedMalloc(wasm, Math.max(1, length) * 4);
    if (address === 0) return null;
    const array = new HeapArray(wasm, address, length);
    heapBlocks.register(array, { wasm, address }, array);
    return array;
  }

  /** Blocks of the given lengths, all or none: null (having freed any it made) where one cannot be made. */
  static createAll(lengths: readonly number[]): HeapArray[] | null {
    const blocks: HeapArray[] = [];
    for (const length of lengths) {
      const block = HeapArray.create(length);
      if (block === null) {
        for (const made of blocks) made.free();
        return null;
      }
      blocks.push(block);
    }
    return blocks;
  }

  /** The wasm backend's heap size in bytes now (0 on other backends). */
  static heapBytes(): number {
    return tf.getBackend() === "wasm" ? (tf.engine().backend as unknown as WasmOutputs).wasm.HEAPU8.length : 0;
  }

  /**
   * Returns the block to the heap now. Its owner calls this when it is done
   * (a train step's dispose, a buffer replaced by a larger one): V8 collects a
   * small object holding hundreds of MB of the heap only when its own heap
   * fills, so a process training model after model ran the 4 GiB heap out on
   * blocks that waited for collection. Views taken before must not be used
   * after; asking for one throws. Idempotent.
   */
  free(): void {
    if (this.freed) return;
    this.freed = true;
    heapBlocks.unregister(this);
    this.wasm._free(this.address);
    this.f32 = new Float32Array(0);
    this.i32 = new Int32Array(0);
  }

  /** A Float32Array over the block; take it after the last allocation before use. */
  get floats(): Float32Array {
    if (this.freed) throw new Error("a heap block was used after it was freed");
    if (this.f32.buffer !== this.wasm.HEAPU8.buffer) this.f32 = new Float32Array(this.wasm.HEAPU8.buffer, this.address, this.length);
    return this.f32;
  }

  /** An Int32Array over the same block. */
  get ints(): Int32Array {
    if (this.freed) throw new Error("a heap block was used after it was freed");
    if (this.i32.buffer !== this.wasm.HEAPU8.buffer) this.i32 = new Int32Array(this.wasm.HEAPU8.buffer, this.address, this.length);
    return this.i32;
  }
}

const heapBlocks = new FinalizationRegistry<{ wasm: WasmHeapModule; address: number }>(({ wasm, address }) => wasm._free(address));

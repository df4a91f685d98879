/**
 * An embedding table in the fused step: the lookups' gradients are summed per
 * distinct row the batch read, and the sparse rule (graph/sparse-update.ts,
 * lazy Adam) updates those rows only, in the table's own storage and in the
 * slots SparseEmbeddings keeps (so checkpoints hold them as on the plain path).
 *
 * A row's place among the step's distinct rows is found in a small
 * open-addressing hash (twice the most distinct rows a step can read), not a
 * table-sized index: the index's random reads missed cache and TLB for every
 * lookup (26 tables of 100,000 rows: 4 ms a step, against 0.7 ms hashed).
 *
 * On the wasm backend the rows and their summed gradients live in its heap,
 * next to the table, so that lazy Adam's WebAssembly kernel
 * (graph/adam-wasm.ts) reads them where they are; so does the hash, so that
 * the lookups' gradients, in the heap too where the lookups fill their Buf
 * (layers.ts GatherStage), are summed by a kernel (table-kernels.ts
 * accumulate, bit-equal to the loop here).
 */
import type * as tf from "@tensorflow/tfjs";
import type { SparseRule } from "../graph/sparse-update.js";
import { idOutsideTable } from "../table-ids.js";
import { HeapArray } from "../backend/tensor-memory.js";
import { copyRows } from "./copy-rows.js";
import { FIBONACCI, tableKernels } from "./table-kernels.js";

export class TableParam {
  view: Float32Array<ArrayBufferLike> = new Float32Array(0);
  /** The hash: table rows (-1: free) and their places in `rows`; emptied after each update. */
  private keys: Int32Array<ArrayBufferLike> = new Int32Array(0);
  private places: Int32Array<ArrayBufferLike> = new Int32Array(0);
  /** 32 - log2(keys.length): a multiplicative hash's top bits index the hash. */
  private shift = 32;
  private rows: Int32Array<ArrayBufferLike> = new Int32Array(0);
  private values: Float32Array<ArrayBufferLike> = new Float32Array(0);
  /** The same arrays' blocks in the wasm heap, whose views are re-made after it grows; null elsewhere. */
  private heap: { rows: HeapArray; values: HeapArray; hash: { keys: HeapArray; places: HeapArray } | null } | null = null;
  private count = 0;
  /** Per accumulate: the batch rows that read their table row first, and the others with their rows' places. */
  private firsts = new Int32Array(0);
  private repeats = new Int32Array(0);
  private repeatPlaces = new Int32Array(0);

  constructor(
    /** The IR table's name. */
    readonly name: string,
    readonly variable: tf.Variable,
    readonly tableRows: number,
    readonly dim: number,
    /** Lookups of this table per batch row (one per categorical feature on it). */
    private readonly lookups: number,
  ) {}

  allocate(batchRows: number): void {
    this.release();
    const distinct = Math.min(this.tableRows, batchRows * this.lookups);
    const bits = Math.max(4, Math.ceil(Math.log2(2 * distinct)));
    const sums = HeapArray.createAll([distinct, distinct * this.dim]);
    // The hash in the heap too where the kernels can sum into it (accumulateStaged).
    const hash = sums !== null && tableKernels(this.dim) !== null ? HeapArray.createAll([2 ** bits, 2 ** bits]) : null;
    this.heap = sums === null ? null : { rows: sums[0]!, values: sums[1]!, hash: hash === null ? null : { keys: hash[0]!, places: hash[1]! } };
    this.rows = this.heap?.rows.ints ?? new Int32Array(distinct);
    this.values = this.heap?.values.floats ?? new Float32Array(distinct * this.dim);
    this.keys = this.heap?.hash?.keys.ints ?? new Int32Array(2 ** bits);
    this.keys.fill(-1);
    this.places = this.heap?.hash?.places.ints ?? new Int32Array(2 ** bits);
    this.shift = 32 - bits;
    this.firsts = new Int32Array(batchRows);
    this.repeats = new Int32Array(batchRows);
    this.repeatPlaces = new Int32Array(batchRows);
  }

  /** The row an id reads; an id outside the table is refused (table-ids.ts), never trained in another row's place. */
  rowOf(id: number): number {
    return id >= 0 && id < this.tableRows ? id : idOutsideTable(id, this.tableRows);
  }

  /**
   * Adds each batch row's gradient, `dim` values from column `offset` of `grad` [rows, stride], to the table row its id read.
   * The hash first (each batch row's place, or that it is its row's first), then the first rows copied by their bits
   * (copy-rows.ts), then the others added in batch order: each row's sum is the same as adding row by row.
   */
  accumulate(ids: Int32Array, grad: Float32Array, batchRows: number, stride: number, offset: number): void {
    this.reviewHeap();
    const { dim, keys, places, values, shift, firsts, repeats, repeatPlaces } = this;
    const mask = keys.length - 1;
    const start = this.count;
    let added = 0;
    for (let r = 0; r < batchRows; r++) {
      const row = this.rowOf(ids[r]!);
      // Fibonacci hashing, then linear probing: the hash is at most half full.
      let h = Math.imul(row, FIBONACCI) >>> shift;
      let key = keys[h]!;
      while (key !== row && key !== -1) {
        h = (h + 1) & mask;
        key = keys[h]!;
      }
      if (key === -1) {
        const p = this.count++;
        keys[h] = row;
        places[h] = p;
        this.rows[p] = row;
        firsts[p - start] = r;
      } else {
        repeats[added] = r;
        repeatPlaces[added++] = places[h]!;
      }
    }
    copyRows({ array: grad, stride, offset }, firsts, this.count - start, dim, { array: values, stride: dim, offset: start * dim });
    for (let i = 0; i < added; i++) {
      const from = repeats[i]! * stride + offset;
      const at = repeatPlaces[i]! * dim;
      for (let d = 0; d < dim; d++) values[at + d] = values[at + d]! + grad[from + d]!;
    }
  }

  /** Whether accumulateStaged can run: the hash and the sums in the heap, rows of whole vectors, the kernels on. */
  get summedInHeap(): boolean {
    return this.heap?.hash != null && tableKernels(this.dim) !== null;
  }

  /**
   * accumulate's sum by the kernel (table-kernels.ts), for ids and gradient rows in the heap: `heapIds` and
   * `grad` (the first row's first value) are byte addresses, `gradStride` the bytes between rows. `ids`, the
   * same ids in JavaScript, name one outside the table. Only where summedInHeap.
   */
  accumulateStaged(ids: Int32Array, heapIds: number, grad: number, batchRows: number, gradStride: number): void {
    const kernels = tableKernels(this.dim)!;
    const { hash, rows, values } = this.heap!;
    const { keys, places } = hash!;
    const count = kernels.accumulate(
      keys.address,
      places.address,
      rows.address,
      values.address,
      this.count,
      heapIds,
      grad,
      batchRows,
      gradStride,
      this.dim * 4,
      this.shift,
      keys.length - 1,
      this.tableRows,
    );
    if (count < 0) {
      // The step fails: forget the rows summed so far, then name the id.
      keys.ints.fill(-1);
      this.count = 0;
      this.rowOf(ids[-1 - count]!);
    }
    this.count = count;
  }

  /** Applies `rule` to the rows read this step (`step` counts from 1) and forgets them; `slots` each row's together (graph/slot-rows.ts). */
  update(rule: SparseRule, slots: Float32Array, step: number): void {
    if (this.count === 0) return;
    this.reviewHeap();
    const rows = this.rows.subarray(0, this.count);
    rule.apply(this.view, slots, { rows, values: this.values.subarray(0, this.count * this.dim) }, this.dim, step);
    this.keys.fill(-1);
    this.count = 0;
  }

  /** Returns the heap blocks (a larger batch's allocate, the step's dispose); the table holds no rows after. */
  release(): void {
    const heap = this.heap;
    if (heap === null) return;
    this.heap = null;
    for (const block of [heap.rows, heap.values, heap.hash?.keys, heap.hash?.places]) block?.free();
    this.rows = this.keys = this.places = new Int32Array(0);
    this.values = new Float32Array(0);
    this.count = 0;
  }

  /** Views of the heap blocks, current: the heap may have grown (detaching the old ones) since the last step. */
  private reviewHeap(): void {
    if (this.heap === null) return;
    this.rows = this.heap.rows.ints;
    this.values = this.heap.values.floats;
    if (this.heap.hash !== null) {
      this.keys = this.heap.hash.keys.ints;
      this.places = this.heap.hash.places.ints;
    }
  }
}

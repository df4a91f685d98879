/**
 * An embedding table in the fused step: the lookups' gradients are summed per
 * distinct row the batch read, and the sparse rule (graph/sparse-update.ts,
 * lazy Adam) updates those rows only, in the table's own storage and in the
 * slots SparseEmbeddings keeps (so checkpoints hold them as on the plain path).
 */
import type * as tf from "@tensorflow/tfjs";
import type { SparseRule } from "../graph/sparse-update.js";

export class TableParam {
  view: Float32Array<ArrayBufferLike> = new Float32Array(0);
  /** table row -> its place in this step's `rows`, -1 when the step has not read it; reset after each update. */
  private readonly position: Int32Array;
  private rows = new Int32Array(0);
  private values = new Float32Array(0);
  private count = 0;

  constructor(
    /** The IR table's name. */
    readonly name: string,
    readonly variable: tf.Variable,
    readonly tableRows: number,
    readonly dim: number,
    /** Lookups of this table per batch row (one per categorical feature on it). */
    private readonly lookups: number,
  ) {
    this.position = new Int32Array(tableRows).fill(-1);
  }

  allocate(batchRows: number): void {
    const distinct = Math.min(this.tableRows, batchRows * this.lookups);
    this.rows = new Int32Array(distinct);
    this.values = new Float32Array(distinct * this.dim);
  }

  /** The row an id reads, clamped into the table as the plain path's lookups clamp it (sparse-embeddings.ts rowOf). */
  rowOf(id: number): number {
    if (id < 0) return 0;
    return id < this.tableRows ? id : this.tableRows - 1;
  }

  /** Adds each batch row's gradient, `dim` values from column `offset` of `grad` [rows, stride], to the table row its id read. */
  accumulate(ids: Int32Array, grad: Float32Array, batchRows: number, stride: number, offset: number): void {
    const { dim, position, values } = this;
    for (let r = 0, from = offset; r < batchRows; r++, from += stride) {
      const row = this.rowOf(ids[r]!);
      let p = position[row]!;
      if (p < 0) {
        p = this.count++;
        position[row] = p;
        this.rows[p] = row;
        const at = p * dim;
        for (let d = 0; d < dim; d++) values[at + d] = grad[from + d]!;
        continue;
      }
      const at = p * dim;
      for (let d = 0; d < dim; d++) values[at + d] = values[at + d]! + grad[from + d]!;
    }
  }

  /** Applies `rule` to the rows read this step (`step` counts from 1) and forgets them. */
  update(rule: SparseRule, slots: Float32Array[], step: number): void {
    if (this.count === 0) return;
    const rows = this.rows.subarray(0, this.count);
    rule.apply(this.view, slots, { rows, values: this.values.subarray(0, this.count * this.dim) }, this.dim, step);
    for (let i = 0; i < rows.length; i++) this.position[rows[i]!] = -1;
    this.count = 0;
  }
}

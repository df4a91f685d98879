/**
 * Relu or linear Dense layers that read one input (an MMoE's experts' first
 * layers, ESMM's towers' first layers) as one wide product: y_1 | y_2 | ... =
 * x · [W_1 | W_2 | ...], and in the backward one wide weight gradient
 * xᵀ · [dz_1 | dz_2 | ...]. BLAS packs x once instead of once per layer and
 * runs a wider product: 8 products 1024x416x256 took 12.6 ms forward and
 * 12.3 ms for the weight gradients at one thread, one 1024x416x2048 10.9 and
 * 11.5 ms (issue #17), before the copies below.
 *
 * The weights stay in their TF.js variables (checkpoints and saved models
 * unchanged), so the forward packs the kernels side by side into the
 * program's arena first, every step (the weights change by Adam, restores and
 * set weights alike: a copy made then can never be stale), and the backward
 * copies each layer's block of the wide gradient into its own gradient. The
 * same region serves both: nothing reads the packed kernels after the forward.
 *
 * Every element of a wide product is computed as the layer's own product
 * computes it (OpenBLAS splits the columns, never the sum over k): the same
 * bits. The input's gradient stays each layer's own product, accumulated in
 * the program's order as without the wide product: one product summing over
 * every layer's units adds in another order (other bits), and measured
 * 12.1 -> 11.6 ms, less than the copies it would need.
 *
 * Each layer still runs its own bias, activation and relu backward on its
 * block of columns (at a stride) at its own place in the program; only the
 * products move. Where a product of these sizes would not go to the native
 * BLAS (gemm.ts nativeProduct), or the arena has no room, each layer runs its
 * own products, still writing into the block.
 */
import type { Region } from "./arena.js";
import type { Buf, Op } from "./buffers.js";
import type { DenseOp } from "./dense.js";
import { nativeProduct, type Gemm } from "./gemm.js";

/**
 * Floats after each row of a wide output: 2,048 columns are 8 KiB, so without
 * them every row of a block would start at the same offset in a page, the
 * products reading and writing a block at that stride hitting the same cache
 * sets (measured in recsys-MMoE steps, two runs each on a loaded machine:
 * the experts' second layers' weight- and input-gradient products 0.3-0.9 ms
 * slower at a stride of 2,048 than of 2,064).
 */
export const ROW_PAD = 16;

export class WideDense implements Op {
  /** The kernels packed [in, width] for the forward, then the wide weight gradient: a region of the program's arena (its layout sets it); null: none. */
  region: Region | null = null;
  /** Whether this step's forward ran the wide product: the members then skip their own product and weight gradient. */
  on = false;

  constructor(
    private readonly gemm: Gemm,
    /** The input every member reads. */
    readonly x: Buf,
    /** In the order of their column blocks. */
    readonly members: readonly DenseOp[],
    /** The members' outputs side by side, rows of `width` values. */
    readonly out: Buf,
  ) {}

  /** The members' columns: their units together (the output's rows may be longer). */
  get columns(): number {
    return this.members.reduce((n, m) => n + m.units, 0);
  }

  /** Floats of arena the packed kernels take. */
  get regionWidth(): number {
    return this.x.width * this.columns;
  }

  allocate(): void {}

  forward(rows: number): void {
    const inWidth = this.x.width;
    this.on = this.region !== null && this.members.every((m) => nativeProduct(rows, m.units, inWidth));
    for (const m of this.members) m.dzReady = false;
    if (!this.on) return;
    const packed = this.region!.view;
    const width = this.columns;
    // Row by row of the packed matrix, each member's row of its kernel in turn: the writes in order.
    for (let r = 0, at = 0; r < inWidth; r++) {
      for (const { kernel, units } of this.members) {
        packed.set(kernel.view.subarray(r * units, r * units + units), at);
        at += units;
      }
    }
    this.gemm(false, false, rows, width, inWidth, this.x.value, inWidth, packed, width, 0, this.out.value, this.out.width);
  }

  backward(rows: number): void {
    if (!this.on) return;
    // A member whose output had no gradient this step left garbage in its columns: only its own columns of the product read them.
    const ready = this.members.filter((m) => m.dzReady);
    if (ready.length === 0) return;
    const inWidth = this.x.width;
    const width = this.columns;
    const wide = this.region!.view;
    this.gemm(true, false, inWidth, width, rows, this.x.value, inWidth, this.out.grad!, this.out.width, 0, wide, width);
    let offset = 0;
    for (const m of this.members) {
      const { kernel, units } = m;
      if (m.dzReady) {
        for (let r = 0; r < inWidth; r++) kernel.grad.set(wide.subarray(r * width + offset, r * width + offset + units), r * units);
        kernel.gradSet = true;
        m.dzReady = false;
      }
      offset += units;
    }
  }
}

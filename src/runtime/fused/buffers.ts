/**
 * The fused step's storage: one Buf per tensor of the layer plan (values and,
 * where a weight lies upstream, gradients), sized for the largest batch seen,
 * and one Param per trained weight, whose values are the TF.js variable's own
 * storage (re-viewed every step: wasm memory growth detaches old views) and
 * whose gradient is a buffer of the step's own.
 */
import type * as tf from "@tensorflow/tfjs";

/** Floats between an expert-major Buf's blocks: a 64-byte cache line. */
const PART_GAP = 16;

/** A tensor of the plan, `width` values per batch row, row-major. Reshapes and flattens share their input's Buf. */
export class Buf {
  value: Float32Array<ArrayBufferLike> = new Float32Array(0);
  grad: Float32Array | null = null;
  /** Whether this step's backward pass wrote `grad` yet (the first writer sets it, later ones add). */
  gradSet = false;
  /** Byte addresses of `value` and `grad` in the program's SIMD arena (arena.ts), or -1 where they are not there. */
  valueAt = -1;
  gradAt = -1;
  /**
   * 1: per row, the `width` values side by side. n > 1: expert-major, set by the program
   * (MTL_EXPERT_MAJOR=on) on a gate's stack of n equal parts that Dense layers write in place and only mixes read: for a
   * step of `rows` rows, part k's rows are a [rows, width / n] block from k * partStride(rows),
   * so each expert's products write, and their backward reads, contiguous rows (ld = width / n).
   */
  parts = 1;

  constructor(
    readonly name: string,
    readonly width: number,
    /** True when a trained weight lies upstream, so the backward pass must carry a gradient here. */
    readonly needsGrad: boolean,
  ) {}

  /**
   * Floats from one part's block to the next's (parts > 1) in a step of `rows` rows: a cache
   * line more than the block, so that the n experts' rows a mix reads together do not all map
   * to one cache set, as blocks a multiple of 4 KiB apart do.
   */
  partStride(rows: number): number {
    return rows * (this.width / this.parts) + PART_GAP;
  }

  /** The floats of values (and of gradients) for `rows` rows. */
  floats(rows: number): number {
    return this.parts > 1 ? this.parts * this.partStride(rows) : rows * this.width;
  }

  /** Room for `rows` rows; a batch's own arrays (inputs) are not allocated here. */
  allocate(rows: number, ownValues: boolean): void {
    if (ownValues) this.value = new Float32Array(this.floats(rows));
    if (this.needsGrad) this.grad = new Float32Array(this.floats(rows));
  }
}

/** A trained dense weight: the variable, a view of its storage for this step, and its gradient. */
export interface Param {
  readonly variable: tf.Variable;
  view: Float32Array<ArrayBufferLike>;
  /** Its own array, or (on the wasm backend) a view of the heap that adam.ts bindGradients keeps current. */
  grad: Float32Array<ArrayBufferLike>;
  gradSet: boolean;
}

export function param(variable: tf.Variable): Param {
  return { variable, view: new Float32Array(0), grad: new Float32Array(variable.size), gradSet: false };
}

/**
 * dst[at..at+count) = src[from..from+count), or += when `add`. A loop, not
 * set(subarray): called per row, a subarray per call was garbage by the
 * ten thousand per step.
 */
export function writeOrAdd(dst: Float32Array, at: number, src: Float32Array, from: number, count: number, add: boolean): void {
  if (add) for (let i = 0; i < count; i++) dst[at + i] = dst[at + i]! + src[from + i]!;
  else for (let i = 0; i < count; i++) dst[at + i] = src[from + i]!;
}

/** One layer application, forward and backward over the first `rows` rows of its Bufs. */
export interface Op {
  /** (Re)allocates the op's own scratch for `rows` rows. */
  allocate(rows: number): void;
  forward(rows: number): void;
  backward(rows: number): void;
}

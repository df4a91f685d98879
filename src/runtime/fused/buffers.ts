/**
 * The fused step's storage: one Buf per tensor of the layer plan (values and,
 * where a weight lies upstream, gradients), sized for the largest batch seen,
 * and one Param per trained weight, whose values are the TF.js variable's own
 * storage (re-viewed every step: wasm memory growth detaches old views) and
 * whose gradient is a buffer of the step's own.
 */
import type * as tf from "@tensorflow/tfjs";

/** A tensor of the plan, `width` values per batch row, row-major. Reshapes and flattens share their input's Buf. */
export class Buf {
  value: Float32Array<ArrayBufferLike> = new Float32Array(0);
  grad: Float32Array | null = null;
  /** Whether this step's backward pass wrote `grad` yet (the first writer sets it, later ones add). */
  gradSet = false;
  /** Byte addresses of `value` and `grad` in the program's SIMD arena (arena.ts), or -1 where they are not there. */
  valueAt = -1;
  gradAt = -1;

  constructor(
    readonly name: string,
    readonly width: number,
    /** True when a trained weight lies upstream, so the backward pass must carry a gradient here. */
    readonly needsGrad: boolean,
  ) {}

  /** Room for `rows` rows; a batch's own arrays (inputs) are not allocated here. */
  allocate(rows: number, ownValues: boolean): void {
    if (ownValues) this.value = new Float32Array(rows * this.width);
    if (this.needsGrad) this.grad = new Float32Array(rows * this.width);
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

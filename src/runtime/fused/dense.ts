/**
 * A Dense layer on [batch, in]: y = act(x·W + b). The product runs on the
 * native BLAS; the bias is added in the activation's pass; the backward's products read W and x transposed in
 * place (no copies), and dx is accumulated by beta = 1 when another reader
 * of x wrote its gradient already. The activation's derivative is applied to
 * the output's gradient in place (every reader of y has written it by then,
 * and nothing reads it after): no buffer for dz, whose separate stream made
 * relu's backward pass 2.5x slower at MMoE sizes.
 *
 * A relu or linear layer whose only reader is a concatenation (an MMoE
 * expert's last layer, in the gates' stack) writes its rows straight into
 * the concatenation's columns and reads its gradient from there (writeInto):
 * the products take the row stride as their leading dimension, so the
 * concatenation copies nothing.
 *
 * Where the program's Bufs live in its SIMD arena (arena.ts), the bias(+relu)
 * pass and relu's backward run as SIMD kernels (simd.ts) on the same rows,
 * bit for bit what the JavaScript loops below compute; the bias is copied
 * into the arena first (biasRow: a row per layer, so the kernel reads it there).
 * The bias gradient is then summed there too, in float32 row after row: within
 * float32 summation rounding of the one-row product the loops use. An MMoE
 * expert's last layer leaves both to the gates' mix backward (ReluStack in
 * layers.ts), which computes the same bits in its own pass over the stack's
 * gradient: the experts' passes over it took 1.8 ms of a recsys-MMoE step.
 */
import type { Gemm } from "./gemm.js";
import { activate, activateBackward, needsInput, type FusedActivation } from "./activations.js";
import type { Region } from "./arena.js";
import type { Buf, Op, Param } from "./buffers.js";
import type { SimdKernels } from "./simd.js";
import type { ReluStack } from "./layers.js";

export class DenseOp implements Op {
  /** Pre-activation values, kept only where the backward needs them (swish). */
  private z = new Float32Array(0);
  /**
   * A row of ones: without the arena the bias gradient is ones · dz, a product
   * (the column sums by BLAS: a tenth of the time of summing them in the relu
   * pass in JavaScript).
   */
  private ones = new Float32Array(0);
  /** Where y's rows are: y itself, or columns offset.. of a concatenation (writeInto). */
  private target: Buf;
  private offset = 0;
  /**
   * A row of the arena (set by the program's layout) where the SIMD bias pass
   * reads the bias, and where the backward sums the bias gradient's columns
   * (simd.ts reluBackSum, columnSum: in a recsys-MMoE step 0.4 ms where the
   * one-row products took 0.85 ms at 3-6 GFLOP/s); null: the JavaScript loop
   * and the product.
   */
  biasRow: Region | null = null;
  /** The stack this layer writes into, when the stack's mix does its relu backward and bias sums (program.ts); null: none. */
  reluStack: ReluStack | null = null;

  constructor(
    private readonly gemm: Gemm,
    private readonly x: Buf,
    /** The layer's own output tensor. */
    readonly y: Buf,
    private readonly kernel: Param,
    private readonly bias: Param | null,
    private readonly activation: FusedActivation,
    /** The kernels over the program's arena, or null (JavaScript loops). */
    private readonly simd: SimdKernels | null = null,
  ) {
    this.target = y;
  }

  /** Floats of arena the layer wants for its bias row (0: none). */
  get biasRowWidth(): number {
    return this.simd !== null && this.bias !== null ? this.units : 0;
  }

  private get inWidth(): number {
    return this.x.width;
  }

  private get units(): number {
    return this.y.width;
  }

  get relu(): boolean {
    return this.activation === "relu";
  }

  /** True when writeInto may move the output: the backward then needs no pre-activation values or per-row pass over y. */
  get writesAnywhere(): boolean {
    return this.activation === "relu" || this.activation === "linear";
  }

  /** From now on y's rows are columns offset.. of `concat` (rows of concat.width values). */
  writeInto(concat: Buf, offset: number): void {
    if (!this.writesAnywhere) throw new Error(`a ${this.activation} layer cannot write into a concatenation`);
    this.target = concat;
    this.offset = offset;
  }

  allocate(rows: number): void {
    if (needsInput(this.activation)) this.z = new Float32Array(rows * this.units);
    if (this.y.needsGrad && this.bias !== null) this.ones = new Float32Array(rows).fill(1);
  }

  forward(rows: number): void {
    if (rows === 0) return;
    const { units, inWidth, offset } = this;
    const ld = this.target.width;
    const b = this.bias?.view;
    // Bias and relu in the one pass over the product (the common case); otherwise the bias, then the activation.
    if (this.activation === "relu" || this.activation === "linear") {
      const out = this.target.value;
      this.gemm(false, false, rows, units, inWidth, this.x.value, inWidth, this.kernel.view, units, 0, from(out, offset), ld);
      const { simd, biasRow } = this;
      const at = this.target.valueAt;
      if (simd !== null && at >= 0 && (b === undefined || biasRow !== null)) {
        const [address, stride] = [at + 4 * offset, 4 * ld];
        if (b !== undefined) {
          biasRow!.view.set(b);
          (this.activation === "relu" ? simd.biasRelu : simd.bias)(address, rows, units, stride, biasRow!.address);
        } else if (this.activation === "relu") simd.relu(address, rows, units, stride);
        return;
      }
      if (this.activation === "linear") {
        if (b !== undefined) addBias(out, b, rows, units, offset, ld);
      } else if (b === undefined) reluInPlace(out, rows, units, offset, ld);
      else addBiasRelu(out, b, rows, units, offset, ld);
      return;
    }
    const out = needsInput(this.activation) ? this.z : this.y.value;
    this.gemm(false, false, rows, units, inWidth, this.x.value, inWidth, this.kernel.view, units, 0, out, units);
    if (b !== undefined) addBias(out, b, rows, units, 0, units);
    activate(this.activation, out, this.y.value, rows, units);
  }

  backward(rows: number): void {
    const target = this.target;
    if (!target.gradSet || rows === 0) return;
    const { units, inWidth, bias, simd, offset } = this;
    // dz = dy * act'(z), in place in the output's gradient, where that lies (rows of dzLd values from offset).
    const dzLd = target.width;
    const [dzAt, stride] = [target.gradAt + 4 * offset, 4 * dzLd];
    // Done by the stack's mix this step (ReluStack): dz in place, the bias gradient's sums at this layer's columns.
    const mixed = this.reluStack?.done === true ? this.reluStack.sums : null;
    // The bias gradient as column sums in the arena's bias row, in relu's backward pass or one pass after it.
    const sums = mixed === null && bias !== null && simd !== null && this.biasRow !== null && target.gradAt >= 0 ? this.biasRow : null;
    sums?.view.fill(0);
    if (mixed !== null) {
      // dz is in place already.
    } else if (this.activation === "relu" && simd !== null && target.valueAt >= 0 && target.gradAt >= 0) {
      const yAt = target.valueAt + 4 * offset;
      if (sums !== null) simd.reluBackSum(dzAt, rows, units, stride, yAt, sums.address);
      else simd.reluBack(dzAt, rows, units, stride, yAt);
    } else {
      if (this.activation === "relu") reluBackward(target.value, target.grad!, offset, dzLd, rows, units);
      else if (this.activation !== "linear") activateBackward(this.activation, this.y.value, this.z, this.y.grad!, this.y.grad!, rows, units);
      if (sums !== null) simd!.columnSum(dzAt, rows, units, stride, sums.address);
    }
    const dz = from(target.grad!, offset);
    if (bias !== null) {
      if (mixed !== null) bias.grad.set(mixed.view.subarray(offset, offset + units));
      else if (sums !== null) bias.grad.set(sums.view);
      else this.gemm(false, false, 1, units, rows, this.ones, rows, dz, dzLd, 0, bias.grad, units);
      bias.gradSet = true;
    }
    this.gemm(true, false, inWidth, units, rows, this.x.value, inWidth, dz, dzLd, 0, this.kernel.grad, units);
    this.kernel.gradSet = true;
    if (this.x.needsGrad) {
      this.gemm(false, true, rows, inWidth, units, dz, dzLd, this.kernel.view, units, this.x.gradSet ? 1 : 0, this.x.grad!, inWidth);
      this.x.gradSet = true;
    }
  }
}

/** The values of `a` from `offset` on, for a product whose matrix starts there (no view when it starts at 0). */
function from(a: Float32Array, offset: number): Float32Array {
  return offset === 0 ? a : a.subarray(offset);
}

// The element-wise passes take rows of `units` values at `offset` in rows of
// `ld` (a layer's own buffer: offset 0, ld = units).
//
// Relu without a branch: with half the signs negative, `v > 0 ? v : 0`
// mispredicted so often that it took 6 ns a value, (v + |v|) / 2 takes 1 ns
// (exact for finite v: 2v and the halving are exact in double), and
// dy * (y > 0) likewise.

function reluInPlace(out: Float32Array, rows: number, units: number, offset: number, ld: number): void {
  for (let r = 0, at = offset; r < rows; r++, at += ld) {
    for (let j = 0; j < units; j++) {
      const v = out[at + j]!;
      out[at + j] = (v + Math.abs(v)) * 0.5;
    }
  }
}

function addBiasRelu(out: Float32Array, b: Float32Array, rows: number, units: number, offset: number, ld: number): void {
  for (let r = 0, at = offset; r < rows; r++, at += ld) {
    for (let j = 0; j < units; j++) {
      const v = out[at + j]! + b[j]!;
      out[at + j] = (v + Math.abs(v)) * 0.5;
    }
  }
}

function addBias(out: Float32Array, b: Float32Array, rows: number, units: number, offset: number, ld: number): void {
  for (let r = 0, at = offset; r < rows; r++, at += ld) for (let j = 0; j < units; j++) out[at + j] = out[at + j]! + b[j]!;
}

/** dy := dy where y > 0, else 0, for y and dy at `offset` in rows of `ld`. */
function reluBackward(y: Float32Array, dy: Float32Array, offset: number, ld: number, rows: number, units: number): void {
  for (let r = 0, at = offset; r < rows; r++, at += ld) {
    for (let j = 0; j < units; j++) dy[at + j] = dy[at + j]! * +(y[at + j]! > 0);
  }
}

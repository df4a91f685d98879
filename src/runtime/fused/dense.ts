/**
 * A Dense layer on [batch, in]: y = act(x·W + b). The product runs on the
 * native BLAS; the bias is added in the activation's pass; the backward's products read W and x transposed in
 * place (no copies), and dx is accumulated by beta = 1 when another reader
 * of x wrote its gradient already.
 */
import type { Gemm } from "./gemm.js";
import { activate, activateBackward, needsInput, type FusedActivation } from "./activations.js";
import type { Buf, Op, Param } from "./buffers.js";

export class DenseOp implements Op {
  /** Pre-activation values, kept only where the backward needs them (swish). */
  private z = new Float32Array(0);
  /** dL/d(pre-activation); the output's gradient itself for a linear layer. */
  private dz = new Float32Array(0);
  /** A row of ones: the bias gradient is ones · dz, a product (the column sums by BLAS). */
  private ones = new Float32Array(0);

  constructor(
    private readonly gemm: Gemm,
    private readonly x: Buf,
    private readonly y: Buf,
    private readonly kernel: Param,
    private readonly bias: Param | null,
    private readonly activation: FusedActivation,
  ) {}

  private get inWidth(): number {
    return this.x.width;
  }

  private get units(): number {
    return this.y.width;
  }

  allocate(rows: number): void {
    if (needsInput(this.activation)) this.z = new Float32Array(rows * this.units);
    if (this.y.needsGrad && this.activation !== "linear") this.dz = new Float32Array(rows * this.units);
    if (this.y.needsGrad && this.bias !== null) this.ones = new Float32Array(rows).fill(1);
  }

  forward(rows: number): void {
    if (rows === 0) return;
    const { units, inWidth } = this;
    const out = needsInput(this.activation) ? this.z : this.y.value;
    this.gemm(false, false, rows, units, inWidth, this.x.value, inWidth, this.kernel.view, units, 0, out, units);
    const b = this.bias?.view;
    // Bias and relu in the one pass over the product (the common case); otherwise the bias, then the activation.
    if (this.activation === "relu") {
      if (b === undefined) reluInPlace(out, rows * units);
      else addBiasRelu(out, b, rows, units);
      return;
    }
    if (b !== undefined) addBias(out, b, rows, units);
    activate(this.activation, out, this.y.value, rows, units);
  }

  backward(rows: number): void {
    if (!this.y.gradSet || rows === 0) return;
    const { units, inWidth } = this;
    const dz = this.activation === "linear" ? this.y.grad! : this.dz;
    if (this.activation === "relu") reluBackward(this.y.value, this.y.grad!, dz, rows * units);
    else if (this.activation !== "linear") activateBackward(this.activation, this.y.value, this.z, this.y.grad!, dz, rows, units);
    if (this.bias !== null) this.gemm(false, false, 1, units, rows, this.ones, rows, dz, units, 0, this.bias.grad, units);
    if (this.bias !== null) this.bias.gradSet = true;
    this.gemm(true, false, inWidth, units, rows, this.x.value, inWidth, dz, units, 0, this.kernel.grad, units);
    this.kernel.gradSet = true;
    if (this.x.needsGrad) {
      this.gemm(false, true, rows, inWidth, units, dz, units, this.kernel.view, units, this.x.gradSet ? 1 : 0, this.x.grad!, inWidth);
      this.x.gradSet = true;
    }
  }
}

// Relu without a branch: with half the signs negative, `v > 0 ? v : 0`
// mispredicted so often that it took 6 ns a value, (v + |v|) / 2 takes 1 ns
// (exact for finite v: 2v and the halving are exact in double), and
// dy * (y > 0) likewise.

function reluInPlace(out: Float32Array, count: number): void {
  for (let i = 0; i < count; i++) {
    const v = out[i]!;
    out[i] = (v + Math.abs(v)) * 0.5;
  }
}

function addBiasRelu(out: Float32Array, b: Float32Array, rows: number, units: number): void {
  for (let r = 0, at = 0; r < rows; r++, at += units) {
    for (let j = 0; j < units; j++) {
      const v = out[at + j]! + b[j]!;
      out[at + j] = (v + Math.abs(v)) * 0.5;
    }
  }
}

function addBias(out: Float32Array, b: Float32Array, rows: number, units: number): void {
  for (let r = 0, at = 0; r < rows; r++, at += units) for (let j = 0; j < units; j++) out[at + j] = out[at + j]! + b[j]!;
}

/** dz = dy where y > 0, else 0. */
function reluBackward(y: Float32Array, dy: Float32Array, dz: Float32Array, count: number): void {
  for (let i = 0; i < count; i++) dz[i] = dy[i]! * +(y[i]! > 0);
}

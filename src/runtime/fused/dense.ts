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
    const db = this.bias?.grad;
    if (this.activation === "relu") {
      // The activation's gradient and the bias's column sums in one pass.
      reluBackward(this.y.value, this.y.grad!, dz, db ?? null, rows, units);
    } else {
      if (this.activation !== "linear") activateBackward(this.activation, this.y.value, this.z, this.y.grad!, dz, rows, units);
      if (db !== undefined) columnSums(dz, db, rows, units);
    }
    if (this.bias !== null) this.bias.gradSet = true;
    this.gemm(true, false, inWidth, units, rows, this.x.value, inWidth, dz, units, 0, this.kernel.grad, units);
    this.kernel.gradSet = true;
    if (this.x.needsGrad) {
      this.gemm(false, true, rows, inWidth, units, dz, units, this.kernel.view, units, this.x.gradSet ? 1 : 0, this.x.grad!, inWidth);
      this.x.gradSet = true;
    }
  }
}

// The loops below are module functions of typed arrays only: inside the
// class methods V8 compiled them several times slower (measured 4-10x).

function reluInPlace(out: Float32Array, count: number): void {
  for (let i = 0; i < count; i++) out[i] = out[i]! > 0 ? out[i]! : 0;
}

function addBiasRelu(out: Float32Array, b: Float32Array, rows: number, units: number): void {
  for (let r = 0, at = 0; r < rows; r++, at += units) {
    for (let j = 0; j < units; j++) {
      const v = out[at + j]! + b[j]!;
      out[at + j] = v > 0 ? v : 0;
    }
  }
}

function addBias(out: Float32Array, b: Float32Array, rows: number, units: number): void {
  for (let r = 0, at = 0; r < rows; r++, at += units) for (let j = 0; j < units; j++) out[at + j] = out[at + j]! + b[j]!;
}

/** dz = dy where y > 0, else 0; db (when given) = the column sums of dz. */
function reluBackward(y: Float32Array, dy: Float32Array, dz: Float32Array, db: Float32Array | null, rows: number, units: number): void {
  if (db === null) {
    for (let i = 0, n = rows * units; i < n; i++) dz[i] = y[i]! > 0 ? dy[i]! : 0;
    return;
  }
  db.fill(0);
  for (let r = 0, at = 0; r < rows; r++, at += units) {
    for (let j = 0; j < units; j++) {
      const d = y[at + j]! > 0 ? dy[at + j]! : 0;
      dz[at + j] = d;
      db[j] = db[j]! + d;
    }
  }
}

function columnSums(dz: Float32Array, db: Float32Array, rows: number, units: number): void {
  db.fill(0);
  for (let r = 0, at = 0; r < rows; r++, at += units) for (let j = 0; j < units; j++) db[j] = db[j]! + dz[at + j]!;
}

/**
 * A Dense layer on [batch, in]: y = act(x·W + b). The product runs on the
 * native BLAS: the bias is written into the output rows first and the product
 * added to it (beta = 1); the backward's products read W and x transposed in
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
    let beta = 0;
    if (this.bias !== null) {
      const b = this.bias.view;
      for (let r = 0; r < rows; r++) out.set(b, r * units);
      beta = 1;
    }
    this.gemm(false, false, rows, units, inWidth, this.x.value, inWidth, this.kernel.view, units, beta, out, units);
    activate(this.activation, out, this.y.value, rows, units);
  }

  backward(rows: number): void {
    if (!this.y.gradSet || rows === 0) return;
    const { units, inWidth } = this;
    const dz = this.activation === "linear" ? this.y.grad! : this.dz;
    if (this.activation !== "linear") activateBackward(this.activation, this.y.value, this.z, this.y.grad!, dz, rows, units);
    this.gemm(true, false, inWidth, units, rows, this.x.value, inWidth, dz, units, 0, this.kernel.grad, units);
    this.kernel.gradSet = true;
    if (this.bias !== null) {
      const db = this.bias.grad;
      db.fill(0);
      for (let r = 0; r < rows; r++) {
        const at = r * units;
        for (let j = 0; j < units; j++) db[j] = db[j]! + dz[at + j]!;
      }
      this.bias.gradSet = true;
    }
    if (this.x.needsGrad) {
      this.gemm(false, true, rows, inWidth, units, dz, units, this.kernel.view, units, this.x.gradSet ? 1 : 0, this.x.grad!, inWidth);
      this.x.gradSet = true;
    }
  }
}

/**
 * The fused step's layers besides Dense: embedding lookups (whose gradient
 * is gathered per table row, for the sparse update), concatenations (a gate's
 * stack of experts is one too: per row, [n, w] is the n parts side by side),
 * the gate's mix (Dot over the expert axis), products of task outputs, and
 * activation layers.
 */
import { activate, activateBackward, type FusedActivation } from "./activations.js";
import { writeOrAdd, type Buf, type Op } from "./buffers.js";
import { ADD_GATE, ADD_GATE1, ADD_STACK, type SimdKernels } from "./simd.js";
import type { Region } from "./arena.js";
import type { TableParam } from "./tables.js";
import { prefetchRows } from "../../util/prefetch.js";
import { copyRows } from "./copy-rows.js";
import { HeapArray } from "../backend/tensor-memory.js";
import { tableKernels } from "./table-kernels.js";

/** Where the lookups' prefetch sums go, so that their reads stay. */
let prefetched = 0;

/**
 * Looks each row's id up in `table`; the flatten after it shares the output
 * Buf. When a concatenation is the lookup's only reader, the rows go straight
 * into the concatenation's columns and the gradient is read from there
 * (gatherInto), so neither pass copies them.
 *
 * Lookups whose rows fill every column of their Buf may gather through a
 * GatherStage instead: WebAssembly kernels over the heap (table-kernels.ts).
 */
export class EmbeddingOp implements Op {
  ids: Int32Array = new Int32Array(0);
  private target: Buf;
  private offset = 0;
  /** The stage this lookup gathers through (stageGathers), its ids' copy in the heap. */
  stage: GatherStage | null = null;
  heapIds: HeapArray | null = null;

  constructor(
    /** The input's name in the batch. */
    readonly input: string,
    readonly table: TableParam,
    /** The lookup's own tensor [rows, dim]. */
    readonly out: Buf,
  ) {
    this.target = out;
  }

  /** From now on the rows are columns offset.. of `concat` instead of `out`. */
  gatherInto(concat: Buf, offset: number): void {
    this.target = concat;
    this.offset = offset;
  }

  /** The Buf the rows go to, and their first column there. */
  get placement(): { target: Buf; offset: number } {
    return { target: this.target, offset: this.offset };
  }

  /** A staged lookup's room is made by its stage (allocateStages), before the program's arena. */
  allocate(): void {}

  forward(rows: number): void {
    const stage = this.stage;
    if (stage !== null && (stage.members[0] === this ? stage.begin() : stage.on)) {
      this.gatherStaged(stage, rows);
      return;
    }
    const { dim } = this.table;
    const values = this.table.view;
    const ids = this.ids;
    const out = this.target.value;
    const stride = this.target.width;
    // Every id checked first (rowOf refuses one outside the table), so the copy reads rows of the table only.
    for (let r = 0; r < rows; r++) this.table.rowOf(ids[r]!);
    prefetched += prefetchRows([values], ids, rows, dim, this.table.tableRows);
    copyRows({ array: values, stride: dim, offset: 0 }, ids, rows, dim, { array: out, stride, offset: this.offset });
  }

  backward(rows: number): void {
    if (!this.target.gradSet) return;
    const stage = this.stage;
    if (stage !== null && stage.on) {
      const width = this.target.width;
      this.table.accumulateStaged(this.ids, this.heapIds!.address, stage.grad!.address + this.offset * 4, rows, width * 4);
      return;
    }
    this.table.accumulate(this.ids, this.target.grad!, rows, this.target.width, this.offset);
  }

  /** The rows into the Buf in the heap, by the kernel (which checks each id). */
  private gatherStaged(stage: GatherStage, rows: number): void {
    const { dim, tableRows, view } = this.table;
    const width = this.target.width;
    const heapIds = this.heapIds!;
    heapIds.ints.set(this.ids.subarray(0, rows));
    const bad = tableKernels(dim)!.gather(view.byteOffset, heapIds.address, rows, stage.value!.address + this.offset * 4, width * 4, dim * 4, tableRows);
    if (bad >= 0) this.table.rowOf(this.ids[bad]!);
  }
}

/**
 * Lookups (in the program's order) whose rows together fill every column of
 * one Buf, which then lives in the wasm heap instead of the program's arena
 * (a module over the heap cannot address the arena; nothing reads this Buf
 * by its arena address, and BLAS reads it where it is): each lookup gathers
 * its rows into it with the kernel, and each table's kernel sums its
 * gradient rows from its gradient. The Buf's views are re-taken at each
 * step's first lookup (begin), after the step's last allocation: the heap
 * may have grown since.
 */
export class GatherStage {
  value: HeapArray | null = null;
  grad: HeapArray | null = null;
  /** Whether this step's lookups gather here (begin): decided once per step, for every member. */
  on = false;

  constructor(
    readonly target: Buf,
    readonly members: readonly EmbeddingOp[],
  ) {}

  /** The Buf's room (and the members' ids') in the heap for `rows` rows; false, holding none, where there is no heap or it is full. */
  allocate(rows: number): boolean {
    // Where the kernels cannot run (MTL_WASM_TABLES=off, no SIMD, a width they do not cover) the Buf stays in the arena.
    this.release();
    if (!this.members.every((m) => tableKernels(m.table.dim) !== null)) return false;
    const size = rows * this.target.width;
    const grads = this.target.needsGrad ? 1 : 0;
    const blocks = HeapArray.createAll([size, ...(grads ? [size] : []), ...this.members.map(() => rows)]);
    if (blocks === null) return false;
    this.value = blocks[0]!;
    this.grad = grads ? blocks[1]! : null;
    this.members.forEach((m, i) => (m.heapIds = blocks[1 + grads + i]!));
    return true;
  }

  /** Returns the heap blocks (a larger batch's allocate, the step's dispose). */
  release(): void {
    this.value?.free();
    this.grad?.free();
    this.value = this.grad = null;
    for (const m of this.members) {
      m.heapIds?.free();
      m.heapIds = null;
    }
  }

  /** Called by the first member's forward: the Buf's current views, and whether every member can gather here this step. */
  begin(): boolean {
    if (this.value === null) return (this.on = false);
    this.target.value = this.value.floats;
    if (this.grad !== null) this.target.grad = this.grad.floats;
    // summedInHeap: each table's hash in the heap, and the kernels on for its rows' width.
    const heap = this.value.floats.buffer;
    this.on = this.members.every((m) => m.table.view.buffer === heap && m.table.summedInHeap);
    return this.on;
  }
}

/** Each stage's room for `rows` rows; returns the Bufs the stages hold in the heap (the program lays out the others). */
export function allocateStages(ops: readonly Op[], rows: number): Set<Buf> {
  const held = new Set<Buf>();
  for (const op of ops) {
    const stage = op instanceof EmbeddingOp ? op.stage : null;
    if (stage === null || stage.members[0] !== op) continue;
    if (stage.allocate(rows)) {
      held.add(stage.target);
      stage.target.valueAt = stage.target.gradAt = -1;
    }
  }
  return held;
}

/** Gives a GatherStage to each group of `ops`' lookups that fills its Buf's every column, once each. */
export function stageGathers(ops: readonly Op[]): void {
  const groups = new Map<Buf, EmbeddingOp[]>();
  for (const op of ops) {
    if (!(op instanceof EmbeddingOp)) continue;
    const { target } = op.placement;
    groups.set(target, [...(groups.get(target) ?? []), op]);
  }
  for (const [target, members] of groups) {
    const columns = new Set<number>();
    for (const m of members) for (let c = 0; c < m.table.dim; c++) columns.add(m.placement.offset + c);
    const covered = columns.size === target.width && members.reduce((n, m) => n + m.table.dim, 0) === target.width;
    const stage = covered ? new GatherStage(target, members) : null;
    for (const m of members) m.stage = stage;
  }
}

/** Per row, the inputs' values side by side; parts a lookup gathers in place (EmbeddingOp.gatherInto) are skipped. */
export class ConcatOp implements Op {
  private readonly gathered: boolean[];

  constructor(
    readonly parts: readonly Buf[],
    readonly out: Buf,
  ) {
    this.gathered = parts.map(() => false);
  }

  /** Part `index` is written into the output by its producer: no copy either way. */
  skip(index: number): void {
    this.gathered[index] = true;
  }

  allocate(): void {}

  forward(rows: number): void {
    const width = this.out.width;
    const out = this.out.value;
    let offset = 0;
    this.parts.forEach((part, i) => {
      const w = part.width;
      const values = part.value;
      if (!this.gathered[i]) for (let r = 0; r < rows; r++) writeOrAdd(out, r * width + offset, values, r * w, w, false);
      offset += w;
    });
  }

  backward(rows: number): void {
    if (!this.out.gradSet) return;
    const width = this.out.width;
    const grad = this.out.grad!;
    let offset = 0;
    this.parts.forEach((part, i) => {
      const w = part.width;
      if (part.needsGrad && !this.gathered[i]) {
        const add = part.gradSet;
        for (let r = 0; r < rows; r++) writeOrAdd(part.grad!, r * w, grad, r * width + offset, w, add);
        part.gradSet = true;
      }
      offset += w;
    });
  }
}

/**
 * A gate's mix: out[w] = sum_k g[k] s[k, w], for gate weights g [n] and the
 * experts' stack s [n, w]. In SIMD (mix, mixBack) where the program's arena
 * holds all three and their gradients; the JavaScript loops otherwise.
 */
export class DotOp implements Op {
  constructor(
    readonly gate: Buf,
    readonly stack: Buf,
    readonly out: Buf,
    private readonly simd: SimdKernels | null = null,
  ) {}

  allocate(): void {}

  /** The kernels, when the arena holds the values (and, for the backward, the gradients) the op reads and writes. */
  kernels(backward: boolean): SimdKernels | null {
    const { gate, stack, out } = this;
    // A gradient is in the arena only where the Buf needs one: a gate or stack without one takes the loops.
    const inArena = gate.valueAt >= 0 && stack.valueAt >= 0 && (backward ? out.gradAt >= 0 && gate.gradAt >= 0 && stack.gradAt >= 0 : out.valueAt >= 0);
    return inArena ? this.simd : null;
  }

  forward(rows: number): void {
    const n = this.gate.width;
    const w = this.out.width;
    const simd = this.kernels(false);
    if (simd !== null) {
      simd.mix(this.gate.valueAt, 4 * n, this.stack.valueAt, 4 * n * w, this.out.valueAt, 4 * w, rows, n, w);
      return;
    }
    const g = this.gate.value;
    const s = this.stack.value;
    const out = this.out.value;
    for (let r = 0; r < rows; r++) {
      const o = r * w;
      let at = r * n * w;
      const g0 = g[r * n]!;
      for (let j = 0; j < w; j++) out[o + j] = g0 * s[at + j]!;
      for (let k = 1; k < n; k++) {
        at += w;
        const gk = g[r * n + k]!;
        for (let j = 0; j < w; j++) out[o + j] = out[o + j]! + gk * s[at + j]!;
      }
    }
  }

  backward(rows: number): void {
    if (!this.out.gradSet) return;
    const n = this.gate.width;
    const w = this.out.width;
    const g = this.gate.value;
    const s = this.stack.value;
    const dOut = this.out.grad!;
    const { gate, stack } = this;
    const addG = gate.gradSet;
    const addS = stack.gradSet;
    const simd = this.kernels(true);
    if (simd !== null) {
      const flags = (addS ? ADD_STACK : 0) | (addG ? ADD_GATE : 0);
      simd.mixBack(gate.valueAt, gate.gradAt, 4 * n, stack.valueAt, stack.gradAt, 4 * n * w, this.out.gradAt, 4 * w, rows, n, w, flags);
      gate.gradSet = stack.gradSet = true;
      return;
    }
    const dg = gate.needsGrad ? gate.grad! : null;
    const ds = stack.needsGrad ? stack.grad! : null;
    // One pass over each expert's row for both gradients (two passes measured a third slower).
    for (let r = 0; r < rows; r++) {
      const o = r * w;
      for (let k = 0; k < n; k++) {
        const at = (r * n + k) * w;
        const gk = g[r * n + k]!;
        let total = 0;
        if (ds === null) for (let j = 0; j < w; j++) total += dOut[o + j]! * s[at + j]!;
        else if (addS) {
          for (let j = 0; j < w; j++) {
            const d = dOut[o + j]!;
            total += d * s[at + j]!;
            ds[at + j] = ds[at + j]! + gk * d;
          }
        } else {
          for (let j = 0; j < w; j++) {
            const d = dOut[o + j]!;
            total += d * s[at + j]!;
            ds[at + j] = gk * d;
          }
        }
        if (dg !== null) dg[r * n + k] = addG ? dg[r * n + k]! + total : total;
      }
    }
    if (dg !== null) gate.gradSet = true;
    if (ds !== null) stack.gradSet = true;
  }
}

/**
 * A stack every part of which a relu Dense layer writes in place (MMoE's
 * experts' last layers), read by one DotPairOp only: its backward can do the
 * experts' relu backward and bias sums in its own pass over the stack's
 * gradient (simd.ts mix2BackRelu), and the experts then skip theirs.
 */
export class ReluStack {
  /** The experts' bias-gradient sums, `width` floats in the program's arena (its layout sets it); null: none. */
  sums: Region | null = null;
  /** Whether this step's mix backward did the experts' relu backward and sums. */
  done = false;

  constructor(readonly width: number) {}
}

/**
 * Two gates' mixes of one stack (MMoE's two tasks), as one op at the second's
 * place in the program: forward and backward each one SIMD pass over the
 * stack (mix2, mix2Back) instead of two; each DotOp's own passes where the
 * kernels cannot run, or only one output has a gradient.
 */
export class DotPairOp implements Op {
  /** Set by the program where the stack is a ReluStack. */
  reluStack: ReluStack | null = null;

  constructor(
    readonly first: DotOp,
    readonly second: DotOp,
  ) {}

  allocate(): void {}

  forward(rows: number): void {
    const [a, b] = [this.first, this.second];
    const simd = a.kernels(false) !== null ? b.kernels(false) : null;
    if (simd === null) {
      a.forward(rows);
      b.forward(rows);
      return;
    }
    const [n, w] = [a.gate.width, a.out.width];
    simd.mix2(a.gate.valueAt, b.gate.valueAt, 4 * n, a.stack.valueAt, 4 * n * w, a.out.valueAt, b.out.valueAt, 4 * w, rows, n, w);
  }

  backward(rows: number): void {
    const [a, b] = [this.first, this.second];
    const simd = a.kernels(true) !== null && a.out.gradSet && b.out.gradSet ? b.kernels(true) : null;
    const relu = this.reluStack;
    if (relu !== null) relu.done = false;
    if (simd === null) {
      // Backward order: the second's first, as two ops in the program would run.
      b.backward(rows);
      a.backward(rows);
      return;
    }
    const { stack } = a;
    const [n, w] = [a.gate.width, a.out.width];
    const flags = (stack.gradSet ? ADD_STACK : 0) | (a.gate.gradSet ? ADD_GATE : 0) | (b.gate.gradSet ? ADD_GATE1 : 0);
    const args = [a.gate.valueAt, b.gate.valueAt, a.gate.gradAt, b.gate.gradAt, 4 * n, stack.valueAt, stack.gradAt, 4 * n * w, a.out.gradAt, b.out.gradAt, 4 * w, rows, n, w, flags] as const;
    // The experts' relu backward here only where this sets the whole gradient (relu's derivative applies to the sum).
    if (relu?.sums != null && !stack.gradSet) {
      relu.sums.view.fill(0);
      simd.mix2BackRelu(...args, relu.sums.address);
      relu.done = true;
    } else simd.mix2Back(...args);
    a.gate.gradSet = b.gate.gradSet = stack.gradSet = true;
  }
}

/** The element-wise product of the inputs (ESMM's pCTCVR = pCTR * pCVR). */
export class MultiplyOp implements Op {
  constructor(
    private readonly inputs: readonly Buf[],
    private readonly out: Buf,
  ) {}

  allocate(): void {}

  forward(rows: number): void {
    const count = rows * this.out.width;
    const out = this.out.value;
    out.set(this.inputs[0]!.value.subarray(0, count));
    for (const input of this.inputs.slice(1)) {
      const v = input.value;
      for (let i = 0; i < count; i++) out[i] = out[i]! * v[i]!;
    }
  }

  backward(rows: number): void {
    if (!this.out.gradSet) return;
    const count = rows * this.out.width;
    const dOut = this.out.grad!;
    this.inputs.forEach((input, k) => {
      if (!input.needsGrad) return;
      const d = input.grad!;
      const add = input.gradSet;
      for (let i = 0; i < count; i++) {
        let others = dOut[i]!;
        this.inputs.forEach((other, j) => {
          if (j !== k) others *= other.value[i]!;
        });
        d[i] = add ? d[i]! + others : others;
      }
      input.gradSet = true;
    });
  }
}

/** An activation layer (a binary head's sigmoid); a linear one shares its input's Buf instead. */
export class ActivationOp implements Op {
  private scratch = new Float32Array(0);

  constructor(
    private readonly activation: FusedActivation,
    private readonly x: Buf,
    private readonly y: Buf,
  ) {}

  allocate(rows: number): void {
    if (this.x.needsGrad) this.scratch = new Float32Array(rows * this.y.width);
  }

  forward(rows: number): void {
    activate(this.activation, this.x.value, this.y.value, rows, this.y.width);
  }

  backward(rows: number): void {
    if (!this.y.gradSet || !this.x.needsGrad) return;
    const width = this.y.width;
    activateBackward(this.activation, this.y.value, this.x.value, this.y.grad!, this.scratch, rows, width);
    writeOrAdd(this.x.grad!, 0, this.scratch, 0, rows * width, this.x.gradSet);
    this.x.gradSet = true;
  }
}

/** Dropout in training: y = x * mask, the mask drawn per step by setMask (tf.dropout's own multipliers). */
export class DropoutOp implements Op {
  private mask = new Float32Array(0);

  constructor(
    /** The layer's name, which its per-step seeds derive from. */
    readonly layer: string,
    readonly rate: number,
    private readonly x: Buf,
    private readonly y: Buf,
  ) {}

  get width(): number {
    return this.y.width;
  }

  allocate(rows: number): void {
    this.mask = new Float32Array(rows * this.width);
  }

  /** This step's multipliers (0, or 1 / (1 - rate)) for `rows` rows. */
  setMask(values: Float32Array): void {
    this.mask.set(values);
  }

  forward(rows: number): void {
    const x = this.x.value;
    const y = this.y.value;
    const mask = this.mask;
    for (let i = 0, n = rows * this.width; i < n; i++) y[i] = x[i]! * mask[i]!;
  }

  backward(rows: number): void {
    if (!this.y.gradSet || !this.x.needsGrad) return;
    const dy = this.y.grad!;
    const dx = this.x.grad!;
    const mask = this.mask;
    const add = this.x.gradSet;
    for (let i = 0, n = rows * this.width; i < n; i++) dx[i] = (add ? dx[i]! : 0) + dy[i]! * mask[i]!;
    this.x.gradSet = true;
  }
}

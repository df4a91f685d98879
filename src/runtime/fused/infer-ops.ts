/**
 * The forward-only ops of InferenceProgram (infer.ts). A tensor's rows may lie
 * at a stride inside a concatenation's rows (a Slot placed there), so the
 * readers and writers that allow it take each row at `stride`.
 */
import type * as tf from "@tensorflow/tfjs";
import { idOutsideTable } from "../table-ids.js";
import { activate, type FusedActivation } from "./activations.js";
import { copyRows, words } from "./copy-rows.js";
import type { Gemm } from "./gemm.js";
import type { SimdKernels } from "./simd.js";

/** A plan tensor: `width` values per row, row r at view[r * stride]. */
export interface Slot {
  /** Distinct per slot of a program (names differ between a tensor and its reshapes, which share the slot). */
  readonly id: number;
  readonly name: string;
  readonly width: number;
  /** The concatenation whose rows hold this tensor's, or null when it has rows of its own. */
  owner: Slot | null;
  /** Its first column in the owner's rows. */
  at: number;
  /** The array holding the rows (its own or the outermost owner's), and a view from this tensor's first value. */
  store: Float32Array<ArrayBufferLike>;
  view: Float32Array<ArrayBufferLike>;
  stride: number;
  /** The byte address of its first value in the SIMD kernels' memory, or -1 when it is not there (a batch's input). */
  address: number;
}

let slots = 0;

export function newSlot(name: string, width: number): Slot {
  const empty = new Float32Array(0);
  return { id: slots++, name, width, owner: null, at: 0, store: empty, view: empty, stride: width, address: -1 };
}

/** Points a placed slot into its outermost owner's (allocated) rows. */
export function place(slot: Slot): void {
  let root = slot;
  let offset = 0;
  while (root.owner !== null) {
    offset += root.at;
    root = root.owner;
  }
  slot.store = root.store;
  slot.view = offset === 0 ? root.store : root.store.subarray(offset);
  slot.stride = root.width;
  slot.address = root.address < 0 ? -1 : root.address + 4 * offset;
}

/** A weight and a view of its storage, taken before each run (wasm memory growth detaches old views). */
export interface WeightView {
  readonly variable: tf.Tensor;
  view: Float32Array<ArrayBufferLike>;
}

export interface ForwardOp {
  forward(rows: number): void;
}

/** Each row's id looked up in the table, written at the output's stride (straight into a concatenation's rows). */
export class GatherOp implements ForwardOp {
  ids: Int32Array = new Int32Array(0);
  /** The first pass's result, kept so that the compiler cannot drop its loads. */
  touched = 0;
  /** Whether the last batch (of 2 rows or more) looked up one id in every row: its rows are then all the same (a request's user features). */
  repeated = false;

  constructor(
    /** The ids' input name in the batch. */
    readonly input: string,
    private readonly table: WeightView,
    private readonly tableRows: number,
    private readonly dim: number,
    readonly out: Slot,
  ) {}

  forward(rows: number): void {
    const { dim, tableRows, ids } = this;
    const values = words(this.table.view);
    const { stride } = this.out;
    // A first pass reads one word of every row looked up: independent loads, so their cache misses overlap
    // (the copy loop alone waits for about one at a time); the copies then hit the cache. 1.7x faster on
    // 1,000 random rows of 100,000.
    let touched = 0;
    let differ = 0;
    const first = ids[0]!;
    this.repeated = false;
    for (let r = 0; r < rows; r++) {
      const id = ids[r]!;
      // An id outside the table is an error, not a clamped row; predictTasks names its feature (table-ids.ts).
      if (!(id >= 0 && id < tableRows)) idOutsideTable(id, tableRows);
      touched ^= values[id * dim]!;
      differ |= id ^ first;
    }
    this.touched = touched;
    this.repeated = rows >= 2 && differ === 0;
    // Bit for bit, as 8-byte words where both sides' rows allow (1.6x faster again), else int32 words.
    copyRows({ array: this.table.view, stride: dim, offset: 0 }, ids, rows, dim, { array: this.out.view, stride, offset: 0 });
  }
}

/**
 * y = act(x·W + b): the output rows are preset to the bias and the product
 * added to them (beta = 1), so no pass adds the bias; relu then runs over the
 * rows in one branch-free pass. Reads x and writes y at their strides.
 *
 * Where x is a concatenation some of whose gathered parts hold one row
 * repeated through the batch (a request's user features across its
 * candidates), their columns' share of the product is the same in every row:
 * x·W = x_varying·W_varying + x_repeated·W_repeated, the second computed once
 * on the first row and added to the bias row. Same math, another summation
 * order (float rounding; test/runtime/fused/infer.test.ts).
 */
export class DenseForwardOp implements ForwardOp {
  /** The gathered parts of x (a concatenation) and their first columns, whose rows may repeat. */
  private readonly gathered: readonly { gather: GatherOp; at: number; width: number }[];
  /** The bias row plus the repeated columns' product, without SIMD (with it, biasRow). */
  private row: Float32Array | null = null;
  /** Whether the last batch's product was split (for tests and profiles). */
  split = false;

  constructor(
    private readonly gemm: Gemm,
    private readonly x: Slot,
    private readonly y: Slot,
    private readonly kernel: WeightView,
    private readonly bias: WeightView | null,
    private readonly activation: FusedActivation,
    private readonly simd: SimdKernels | null,
    /** Where the bias is copied for the SIMD fill (one row in the kernels' memory); null without SIMD or bias and gathered parts. */
    private readonly biasRow: Slot | null,
    gathered: readonly { gather: GatherOp; at: number; width: number }[] = [],
  ) {
    this.gathered = [...gathered].sort((a, b) => a.at - b.at);
  }

  forward(rows: number): void {
    if (rows === 0) return;
    const { x, y } = this;
    const units = y.width;
    const out = y.view;
    const stride = y.stride;
    const bias = this.bias?.view;
    const { simd, biasRow } = this;
    const ranges = this.splitRanges(rows);
    this.split = ranges !== null;
    if (ranges !== null) {
      const row = biasRow?.view ?? (this.row ??= new Float32Array(units));
      if (bias !== undefined) row.set(bias);
      else row.fill(0);
      for (const [from, to] of ranges.repeated) this.product(1, from, to, row, units);
      if (simd !== null && biasRow !== null && y.address >= 0) simd.fill(y.address, rows, units, 4 * stride, biasRow.address);
      else for (let r = 0; r < rows; r++) out.set(row, r * stride);
      for (const [from, to] of ranges.varying) this.product(rows, from, to, out, stride);
    } else {
      if (bias !== undefined && simd !== null && biasRow !== null && y.address >= 0) {
        // One copy into the kernels' memory, then a kernel fills the rows: a set() per row cost a call each.
        biasRow.view.set(bias);
        simd.fill(y.address, rows, units, 4 * stride, biasRow.address);
      } else if (bias !== undefined) for (let r = 0; r < rows; r++) out.set(bias, r * stride);
      this.gemm(false, false, rows, units, x.width, x.view, x.stride, this.kernel.view, units, bias === undefined ? 0 : 1, out, stride);
    }
    if (this.activation === "relu" && this.simd !== null && y.address >= 0) this.simd.relu(y.address, rows, units, 4 * stride);
    else if (this.activation === "relu") {
      // Branch-free relu (see dense.ts): exact for finite values.
      for (let r = 0; r < rows; r++) {
        const end = r * stride + units;
        for (let i = r * stride; i < end; i++) {
          const v = out[i]!;
          out[i] = (v + Math.abs(v)) * 0.5;
        }
      }
    } else if (this.activation !== "linear") activate(this.activation, out, out, rows, units); // contiguous: only relu and linear outputs are placed
  }

  /** c (+)= the first `rows` rows of x's columns [from, to) times W's rows [from, to). */
  private product(rows: number, from: number, to: number, c: Float32Array<ArrayBufferLike>, ldc: number): void {
    const units = this.y.width;
    this.gemm(false, false, rows, units, to - from, this.x.view.subarray(from), this.x.stride, this.kernel.view.subarray(from * units), units, 1, c, ldc);
  }

  /**
   * x's columns as repeated and varying ranges when splitting pays: the
   * repeated ones at least an eighth of x (each saves a product over the
   * batch's rows) and at most two varying ranges (each a product that reads
   * and writes y again). null: one product over all of x.
   */
  private splitRanges(rows: number): { repeated: [number, number][]; varying: [number, number][] } | null {
    if (rows < 2 || this.gathered.length === 0) return null;
    const repeated: [number, number][] = [];
    let count = 0;
    for (const { gather, at, width } of this.gathered) {
      if (!gather.repeated) continue;
      const last = repeated[repeated.length - 1];
      if (last !== undefined && last[1] === at) last[1] = at + width;
      else repeated.push([at, at + width]);
      count += width;
    }
    if (count * 8 < this.x.width) return null;
    const varying: [number, number][] = [];
    let at = 0;
    for (const [from, to] of repeated) {
      if (from > at) varying.push([at, from]);
      at = to;
    }
    if (at < this.x.width) varying.push([at, this.x.width]);
    return varying.length <= 2 ? { repeated, varying } : null;
  }
}

/** An activation layer on contiguous rows (a binary head's sigmoid). */
export class ActivateOp implements ForwardOp {
  constructor(
    private readonly activation: FusedActivation,
    private readonly x: Slot,
    private readonly y: Slot,
  ) {}

  forward(rows: number): void {
    activate(this.activation, this.x.view, this.y.view, rows, this.y.width);
  }
}

/**
 * A gate's mix: out[j] = sum_k g[k] s[k, j], for gate weights g [n] and the
 * experts' stack s [n, w]: in SIMD where the kernels' memory holds all three,
 * else experts taken eight (then four, then one) at a time with their weights
 * in locals, each output summed over them in one expression (three times
 * faster than a loop over k per value).
 */
export class MixOp implements ForwardOp {
  constructor(
    private readonly gate: Slot,
    private readonly stack: Slot,
    private readonly out: Slot,
    private readonly simd: SimdKernels | null,
  ) {}

  get slots(): { gate: Slot; stack: Slot; out: Slot } {
    return { gate: this.gate, stack: this.stack, out: this.out };
  }

  forward(rows: number): void {
    const n = this.gate.width;
    const w = this.out.width;
    const { view: g, stride: gs } = this.gate;
    const { view: s, stride: ss } = this.stack;
    const { view: out, stride: os } = this.out;
    if (this.simd !== null && this.gate.address >= 0 && this.stack.address >= 0 && this.out.address >= 0) {
      this.simd.mix(this.gate.address, 4 * gs, this.stack.address, 4 * ss, this.out.address, 4 * os, rows, n, w);
      return;
    }
    for (let r = 0; r < rows; r++) {
      const gb = r * gs;
      const ob = r * os;
      let k = 0;
      for (; k + 8 <= n; k += 8) mix8(g, gb + k, s, r * ss + k * w, w, out, ob, k > 0);
      for (; k + 4 <= n; k += 4) mix4(g, gb + k, s, r * ss + k * w, w, out, ob, k > 0);
      for (; k < n; k++) mix1(g[gb + k]!, s, r * ss + k * w, w, out, ob, k > 0);
    }
  }
}

/** Two gates' mixes of one stack in one SIMD pass (each expert's row read once for both); two MixOps where a tensor is outside the kernels' memory. */
export class Mix2Op implements ForwardOp {
  constructor(
    private readonly first: MixOp,
    private readonly second: MixOp,
    private readonly simd: SimdKernels,
  ) {}

  forward(rows: number): void {
    const a = this.first.slots;
    const b = this.second.slots;
    if ([a.gate, a.stack, a.out, b.gate, b.out].some((slot) => slot.address < 0) || a.gate.stride !== b.gate.stride || a.out.stride !== b.out.stride) {
      this.first.forward(rows);
      this.second.forward(rows);
      return;
    }
    const { gate, stack, out } = a;
    this.simd.mix2(gate.address, b.gate.address, 4 * gate.stride, stack.address, 4 * stack.stride, out.address, b.out.address, 4 * out.stride, rows, gate.width, out.width);
  }
}

type F32 = Float32Array<ArrayBufferLike>;

/** out[o + j] (+)= the sum over 8 experts (weights from g[at], rows from s[from], w apart) of weight times row. */
function mix8(g: F32, at: number, s: F32, from: number, w: number, out: F32, o: number, add: boolean): void {
  const a0 = g[at]!, a1 = g[at + 1]!, a2 = g[at + 2]!, a3 = g[at + 3]!, a4 = g[at + 4]!, a5 = g[at + 5]!, a6 = g[at + 6]!, a7 = g[at + 7]!;
  const w2 = 2 * w, w3 = 3 * w, w4 = 4 * w, w5 = 5 * w, w6 = 6 * w, w7 = 7 * w;
  if (add) {
    for (let j = 0, i = from; j < w; j++, i++) out[o + j] = out[o + j]! + (a0 * s[i]! + a1 * s[i + w]! + a2 * s[i + w2]! + a3 * s[i + w3]! + a4 * s[i + w4]! + a5 * s[i + w5]! + a6 * s[i + w6]! + a7 * s[i + w7]!);
  } else {
    for (let j = 0, i = from; j < w; j++, i++) out[o + j] = a0 * s[i]! + a1 * s[i + w]! + a2 * s[i + w2]! + a3 * s[i + w3]! + a4 * s[i + w4]! + a5 * s[i + w5]! + a6 * s[i + w6]! + a7 * s[i + w7]!;
  }
}

function mix4(g: F32, at: number, s: F32, from: number, w: number, out: F32, o: number, add: boolean): void {
  const a0 = g[at]!, a1 = g[at + 1]!, a2 = g[at + 2]!, a3 = g[at + 3]!;
  const w2 = 2 * w, w3 = 3 * w;
  if (add) for (let j = 0, i = from; j < w; j++, i++) out[o + j] = out[o + j]! + (a0 * s[i]! + a1 * s[i + w]! + a2 * s[i + w2]! + a3 * s[i + w3]!);
  else for (let j = 0, i = from; j < w; j++, i++) out[o + j] = a0 * s[i]! + a1 * s[i + w]! + a2 * s[i + w2]! + a3 * s[i + w3]!;
}

function mix1(a: number, s: F32, from: number, w: number, out: F32, o: number, add: boolean): void {
  if (add) for (let j = 0; j < w; j++) out[o + j] = out[o + j]! + a * s[from + j]!;
  else for (let j = 0; j < w; j++) out[o + j] = a * s[from + j]!;
}

/** The element-wise product of contiguous inputs (ESMM's pCTCVR = pCTR * pCVR). */
export class MultiplyForwardOp implements ForwardOp {
  constructor(
    private readonly inputs: readonly Slot[],
    private readonly out: Slot,
  ) {}

  forward(rows: number): void {
    const count = rows * this.out.width;
    const out = this.out.view;
    out.set(this.inputs[0]!.view.subarray(0, count));
    for (const input of this.inputs.slice(1)) {
      const v = input.view;
      for (let i = 0; i < count; i++) out[i] = out[i]! * v[i]!;
    }
  }
}

/** Copies the parts of a concatenation that were not written into its rows in place. */
export class ConcatCopyOp implements ForwardOp {
  /** Each part to copy and its first column. */
  readonly parts: { slot: Slot; at: number }[] = [];

  constructor(private readonly out: Slot) {}

  forward(rows: number): void {
    const { view: out, stride } = this.out;
    for (const { slot, at } of this.parts) {
      const { view: values, stride: from, width } = slot;
      for (let r = 0; r < rows; r++) {
        const to = r * stride + at;
        const base = r * from;
        for (let j = 0; j < width; j++) out[to + j] = values[base + j]!;
      }
    }
  }
}

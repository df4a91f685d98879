/**
 * Kernels in WebAssembly SIMD (four floats per instruction), assembled here
 * from their opcodes (no toolchain, no binary file): relu over rows, a bias
 * added to (or copied into) every row, relu's backward, column sums (a
 * Dense layer's bias gradient, alone or in relu's backward pass), and an MMoE gate's
 * mix and its backward, for one gate or two gates sharing a stack (the two
 * gates' backward also doing the relu experts' backward and bias sums, in
 * its pass over the stack's gradient: mix2BackRelu). In V8 the
 * same loops in JavaScript run one float at a time: with 3M relu values and
 * 2M mix products per 1,024-row recsys-MMoE batch they were a third of the
 * prediction's time outside the matrix products, and about 35 ms of a 120 ms
 * training step.
 *
 * The kernels work on a WebAssembly.Memory of their own (arena.ts): the
 * inference and training programs allocate their tensors there and hand the
 * kernels byte addresses. null from simdMemory() (no WebAssembly, or no
 * SIMD): the callers run their JavaScript loops instead.
 *
 * Relu, bias, biasRelu, fill and reluBack round as the JavaScript loops do
 * (one float32 operation per value: bit for bit); the column sums add in
 * float32 row after row (the one-row product they replace sums in its own
 * blocks: they agree within float32 summation rounding); the mixes and their
 * backward sum in float32 four columns at a time, so they agree with the
 * loops (which sum in double) within float rounding.
 */
import { name, section, uleb, vec, WASM_HEADER, webAssembly, type WasmMemory } from "../../util/wasm-binary.js";
import { add, and, bump, eqz, F32, f32Add, f32Load, f32Store, geU, get, I32, i32, loop, mem, mul, set, shl, simd, sub, tee, V128 } from "../../util/wasm-ops.js";

/** mix2Back's parameters (and mix2BackRelu's first ones). */
type Mix2BackArgs = [
  gate0: number,
  gate1: number,
  dGate0: number,
  dGate1: number,
  gateStride: number,
  stack: number,
  dStack: number,
  stackStride: number,
  dOut0: number,
  dOut1: number,
  outStride: number,
  rows: number,
  n: number,
  width: number,
  flags: number,
];

/** Byte addresses and strides in the arena's memory; counts in floats. */
export interface SimdKernels {
  /** rows x units floats from `at`, rows `stride` bytes apart: each row set to the `units` floats at `from`. */
  fill(at: number, rows: number, units: number, stride: number, from: number): void;
  /** rows x units floats from `at`, rows `stride` bytes apart: v = max(v, 0) in place. */
  relu(at: number, rows: number, units: number, stride: number): void;
  /** As fill's rows: v += b[j], the `units` floats of b at `from`. */
  bias(at: number, rows: number, units: number, stride: number, from: number): void;
  /** As fill's rows: v = max(v + b[j], 0), the `units` floats of b at `from`. */
  biasRelu(at: number, rows: number, units: number, stride: number, from: number): void;
  /** relu's backward in place: dy = dy * (y > 0 ? 1 : 0), rows of dy from `at` and of y from `y`, both `stride` bytes apart. */
  reluBack(at: number, rows: number, units: number, stride: number, y: number): void;
  /**
   * reluBack, and each new dy added to its column's sum, the `units` floats at `sum` (a bias
   * gradient: the caller zeroes them first): sum[j] += dy[j] in float32, row after row.
   */
  reluBackSum(at: number, rows: number, units: number, stride: number, y: number, sum: number): void;
  /** As fill's rows: sum[j] += v[j] in float32, row after row, for the `units` floats at `sum`. */
  columnSum(at: number, rows: number, units: number, stride: number, sum: number): void;
  /**
   * Per row: out[j] = sum_k gate[k] stack[k * width + j] for k < n, j < width (summed in float32,
   * expert by expert, as TF.js's batched product); the three arrays' rows are their strides apart.
   */
  mix(gate: number, gateStride: number, stack: number, stackStride: number, out: number, outStride: number, rows: number, n: number, width: number): void;
  /**
   * Two gates' mixes of one stack in one pass over it (each expert's row read once for both):
   * per row, out0[j] = sum_k gate0[k] stack[k * width + j] and out1 likewise from gate1.
   */
  mix2(gate0: number, gate1: number, gateStride: number, stack: number, stackStride: number, out0: number, out1: number, outStride: number, rows: number, n: number, width: number): void;
  /**
   * mix's backward, per row and expert k: dStack[k * width + j] (+)= gate[k] dOut[j], and
   * dGate[k] (+)= sum_j dOut[j] stack[k * width + j]; dGate's rows lie as gate's, dStack's as
   * stack's. `flags` bit 0: add to dStack (else set it), bit 1: add to dGate.
   */
  mixBack(gate: number, dGate: number, gateStride: number, stack: number, dStack: number, stackStride: number, dOut: number, outStride: number, rows: number, n: number, width: number, flags: number): void;
  /**
   * mix2's backward in one pass over the stack: dStack[k * width + j] (+)= gate1[k] dOut1[j] +
   * gate0[k] dOut0[j], and each gate's dGate as mixBack's. `flags` bit 0: add to dStack, bit 1:
   * add to dGate0, bit 2: add to dGate1.
   */
  mix2Back(...args: Mix2BackArgs): void;
  /**
   * mix2Back where every expert's row of the stack is a relu layer's output, read by nothing
   * else: dStack is set (flags without ADD_STACK) to relu's backward of the gates' terms,
   * (gate1[k] dOut1[j] + gate0[k] dOut0[j]) * (stack[k * width + j] > 0 ? 1 : 0), the bits
   * reluBack would leave there, and each value is added to sums[k * width + j] (the experts'
   * bias gradients, summed row after row as reluBackSum sums them), saving the experts' own
   * pass over the stack's gradient.
   */
  mix2BackRelu(...args: [...Mix2BackArgs, sums: number]): void;
}

/** mixBack's and mix2Back's flags. */
export const ADD_STACK = 1;
/** dGate (of the first gate) is added to, not set. */
export const ADD_GATE = 2;
/** mix2Back: dGate1 is added to. */
export const ADD_GATE1 = 4;

const wasmApi = webAssembly();

/**
 * A memory for simdKernels (of at most `maximumPages` pages if given), or null where WebAssembly SIMD is
 * unavailable, or where the runtime has no address space left for another memory (V8 reserves several GiB
 * of it per memory): the caller then runs its JavaScript loops.
 */
export function simdMemory(maximumPages?: number): WasmMemory | null {
  if (wasmApi === undefined || compiled() === null) return null;
  try {
    return new wasmApi.Memory(maximumPages === undefined ? { initial: 0 } : { initial: 0, maximum: maximumPages });
  } catch (error) {
    if (error instanceof RangeError) return null;
    throw error;
  }
}

/** The kernels over `memory` (from simdMemory). */
export function simdKernels(memory: WasmMemory): SimdKernels {
  const { exports } = new wasmApi!.Instance(compiled()!, { e: { m: memory } });
  return Object.fromEntries(FUNCTIONS.map((f) => [f.name, exports[f.name]])) as unknown as SimdKernels;
}

let cached: object | null | undefined;

function compiled(): object | null {
  if (cached === undefined) {
    try {
      cached = wasmApi === undefined ? null : new wasmApi.Module(moduleBytes());
    } catch {
      cached = null; // a runtime without SIMD rejects the module
    }
  }
  return cached;
}

const f32Mul = [0x94];
const f32Max = [0x97];
const f32Gt = [0x5e];
const f32FromU32 = [0xb3];
const f32Zero = [0x43, 0, 0, 0, 0];
const v128Load = [...simd(0x00), ...mem];
const v128Store = [...simd(0x0b), ...mem];
const v128Zero = [...simd(0x0c), ...new Array<number>(16).fill(0)];
const f32x4Splat = simd(0x13);
const f32x4Add = simd(0xe4);
const f32x4Mul = simd(0xe6);
const f32x4Max = simd(0xe9);
const f32x4Gt = simd(0x44);
const v128And = simd(0x4e);
const f32x4Lane = (lane: number) => [...simd(0x1f), lane];
/** Four 1.0f: relu's backward keeps dy where y > 0 by multiplying by 1 (its comparison's mask ANDed with this). */
const v128Ones = [...simd(0x0c), ...[0, 0, 0x80, 0x3f, 0, 0, 0x80, 0x3f, 0, 0, 0x80, 0x3f, 0, 0, 0x80, 0x3f]];

/** if (condition on the stack) { then } else { otherwise } */
const ifElse = (then: number[], otherwise: number[]): number[] => [0x04, 0x40, ...then, 0x05, ...otherwise, 0x0b];

/** Scratch locals a rowPass body may use: a vector and a float. */
interface Scratch {
  v: number;
  f: number;
}

/**
 * A pass over `rows` rows of `units` floats from byte `at`, rows `stride`
 * bytes apart, four floats at a time and then the row's tail one by one, with
 * a pointer per entry of `others` (params 4..): "row" restarts at its param
 * each row (a bias, or a row of column sums), "rows" walks rows of its own at
 * the same stride. `vector(q, p, scratch)` and `scalar(q, p, scratch)` emit the
 * work on the values at q (and the pointers p).
 */
function rowPass(others: readonly ("row" | "rows")[], vector: (q: number, p: number[], s: Scratch) => number[], scalar: (q: number, p: number[], s: Scratch) => number[]): number[] {
  const [at, rows, units, stride] = [0, 1, 2, 3];
  const params = 4 + others.length;
  const [last, q, end4, end] = [params, params + 1, params + 2, params + 3];
  const p = others.map((_, i) => params + 4 + i);
  const scratch = { v: params + 4 + others.length, f: params + 5 + others.length };
  const bumpAll = (n: number[]) => p.flatMap((local) => bump(local, n));
  return [
    ...vec([[...uleb(4 + others.length), I32], [...uleb(1), V128], [...uleb(1), F32]]),
    ...get(at), ...get(rows), ...get(stride), ...mul, ...add, ...set(last),
    ...loop([...get(at), ...get(last), ...geU], [
      ...get(at), ...set(q),
      ...others.flatMap((_, i) => [...get(4 + i), ...set(p[i]!)]),
      ...get(at), ...get(units), ...i32(-4), ...and, ...i32(2), ...shl, ...add, ...set(end4),
      ...get(at), ...get(units), ...i32(2), ...shl, ...add, ...set(end),
      ...loop([...get(q), ...get(end4), ...geU], [...vector(q, p, scratch), ...bump(q, i32(16)), ...bumpAll(i32(16))]),
      ...loop([...get(q), ...get(end), ...geU], [...scalar(q, p, scratch), ...bump(q, i32(4)), ...bumpAll(i32(4))]),
      ...bump(at, get(stride)),
      ...others.flatMap((kind, i) => (kind === "rows" ? bump(4 + i, get(stride)) : [])),
    ]),
    0x0b,
  ];
}

/** *q = f(*q, *p) for vectors and for single floats; `f` gets the loads (p's: none without a pointer) and the SIMD flag. */
const inPlace = (f: (q: number[], p: number[], vector: boolean) => number[]) =>
  [
    (q: number, p: number[]) => [...get(q), ...f([...get(q), ...v128Load], p.length === 0 ? [] : [...get(p[0]!), ...v128Load], true), ...v128Store],
    (q: number, p: number[]) => [...get(q), ...f([...get(q), ...f32Load], p.length === 0 ? [] : [...get(p[0]!), ...f32Load], false), ...f32Store],
  ] as const;

/** dy * (y > 0 ? 1 : 0) on the loaded values, as the JavaScript loop multiplies (so -0 and NaN come out the same). */
const reluGrad = (dy: number[], y: number[], vector: boolean) =>
  vector ? [...dy, ...y, ...v128Zero, ...f32x4Gt, ...v128Ones, ...v128And, ...f32x4Mul] : [...dy, ...y, ...f32Zero, ...f32Gt, ...f32FromU32, ...f32Mul];

/** *sum += value (in local `value`), as a vector or a single float. */
const addInto = (sum: number, value: number, vector: boolean) =>
  vector
    ? [...get(sum), ...get(sum), ...v128Load, ...get(value), ...f32x4Add, ...v128Store]
    : [...get(sum), ...get(sum), ...f32Load, ...get(value), ...f32Add, ...f32Store];

const reluBody = () => rowPass([], ...inPlace((q, _, v) => [...q, ...(v ? [...v128Zero, ...f32x4Max] : [...f32Zero, ...f32Max])]));
const fillBody = () => rowPass(["row"], ...inPlace((_, p) => p));
const biasBody = () => rowPass(["row"], ...inPlace((q, p, v) => [...q, ...p, ...(v ? f32x4Add : f32Add)]));
const biasReluBody = () => rowPass(["row"], ...inPlace((q, p, v) => [...q, ...p, ...(v ? [...f32x4Add, ...v128Zero, ...f32x4Max] : [...f32Add, ...f32Zero, ...f32Max])]));
const reluBackBody = () => rowPass(["rows"], ...inPlace((dy, y, v) => reluGrad(dy, y, v)));
/** reluBack, and each stored dz added to its column's sum (a row restarting at param 5). */
const reluBackSumBody = () => {
  const body = (vector: boolean) => (q: number, [y, sum]: number[], s: Scratch) => {
    const [load, store, temp] = vector ? [v128Load, v128Store, s.v] : [f32Load, f32Store, s.f];
    return [...get(q), ...reluGrad([...get(q), ...load], [...get(y!), ...load], vector), ...tee(temp), ...store, ...addInto(sum!, temp, vector)];
  };
  return rowPass(["rows", "row"], body(true), body(false));
};
/** Each row's values added to the column sums at param 4. */
const columnSumBody = () => {
  const body = (vector: boolean) => (q: number, [sum]: number[], s: Scratch) => {
    const [load, temp] = vector ? [v128Load, s.v] : [f32Load, s.f];
    return [...get(q), ...load, ...set(temp), ...addInto(sum!, temp, vector)];
  };
  return rowPass(["row"], body(true), body(false));
};

/**
 * mix(gate, gs, stack, ss, out, os, rows, n, width); locals 9 rows left, 10 column byte,
 * 11 SIMD end, 12 row end, 13 k left, 14 gate at, 15 stack at, 16 expert stride, and v128 17 the sum, f32 18.
 */
function mixBody(): number[] {
  const [gate, gs, stack, ss, out, os, rows, n, width] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [left, col, end4, end, k, g, s, expert, acc, one] = [9, 10, 11, 12, 13, 14, 15, 16, 17, 18];
  // Sums expert by expert over one column block: `load` the stack's values, `splat` the gate's weight.
  const experts = (sum: number, load: number[], splat: number[], madd: number[]) => [
    ...get(n), ...set(k), ...get(gate), ...set(g), ...get(stack), ...get(col), ...add, ...set(s),
    ...loop([...get(k), ...eqz], [
      ...get(sum), ...get(g), ...f32Load, ...splat, ...get(s), ...load, ...madd, ...set(sum),
      ...bump(g, i32(4)), ...bump(s, get(expert)), ...get(k), ...i32(1), ...sub, ...set(k),
    ]),
  ];
  return [
    ...vec([[...uleb(8), I32], [...uleb(1), V128], [...uleb(1), F32]]),
    ...get(rows), ...set(left),
    ...get(width), ...i32(2), ...shl, ...set(expert),
    ...get(width), ...i32(-4), ...and, ...i32(2), ...shl, ...set(end4),
    ...get(expert), ...set(end),
    ...loop([...get(left), ...eqz], [
      ...i32(0), ...set(col),
      ...loop([...get(col), ...get(end4), ...geU], [
        ...v128Zero, ...set(acc),
        ...experts(acc, v128Load, f32x4Splat, [...f32x4Mul, ...f32x4Add]),
        ...get(out), ...get(col), ...add, ...get(acc), ...v128Store,
        ...bump(col, i32(16)),
      ]),
      ...loop([...get(col), ...get(end), ...geU], [
        ...f32Zero, ...set(one),
        ...experts(one, f32Load, [], [...f32Mul, ...f32Add]),
        ...get(out), ...get(col), ...add, ...get(one), ...f32Store,
        ...bump(col, i32(4)),
      ]),
      ...bump(gate, get(gs)), ...bump(stack, get(ss)), ...bump(out, get(os)),
      ...get(left), ...i32(1), ...sub, ...set(left),
    ]),
    0x0b,
  ];
}

/**
 * mix2(gate0, gate1, gs, stack, ss, out0, out1, os, rows, n, width): expert by expert, each
 * expert's weights splatted once per row, the first expert setting both outputs, the others adding.
 * Locals: i32 11 rows left, 12 column byte, 13 SIMD end, 14 row end, 15 k, 16 gate0 at, 17 gate1 at,
 * 18 expert's row; v128 19 a, 20 b, 21 v; f32 22 a, 23 b, 24 v.
 */
function mix2Body(): number[] {
  const [gate0, gate1, gs, stack, ss, out0, out1, os, rows, n, width] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const [left, col, end4, end, k, g0, g1, row, a, b, v, af, bf, vf] = [11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24];
  /** out[col] (+)= weight * value, as vectors or as single floats. */
  const update = (out: number, weight: number, value: number, load: number[], madd: number[], store: number[], adding: boolean) => [
    ...get(out), ...get(col), ...add,
    ...(adding ? [...get(out), ...get(col), ...add, ...load] : []),
    ...get(weight), ...get(value), ...madd.slice(0, madd.length / 2),
    ...(adding ? madd.slice(madd.length / 2) : []),
    ...store,
  ];
  const expert = (adding: boolean) => [
    ...get(g0), ...f32Load, ...set(af), ...get(af), ...f32x4Splat, ...set(a),
    ...get(g1), ...f32Load, ...set(bf), ...get(bf), ...f32x4Splat, ...set(b),
    ...i32(0), ...set(col),
    ...loop([...get(col), ...get(end4), ...geU], [
      ...get(row), ...get(col), ...add, ...v128Load, ...set(v),
      ...update(out0, a, v, v128Load, [...f32x4Mul, ...f32x4Add], v128Store, adding),
      ...update(out1, b, v, v128Load, [...f32x4Mul, ...f32x4Add], v128Store, adding),
      ...bump(col, i32(16)),
    ]),
    ...loop([...get(col), ...get(end), ...geU], [
      ...get(row), ...get(col), ...add, ...f32Load, ...set(vf),
      ...update(out0, af, vf, f32Load, [...f32Mul, ...f32Add], f32Store, adding),
      ...update(out1, bf, vf, f32Load, [...f32Mul, ...f32Add], f32Store, adding),
      ...bump(col, i32(4)),
    ]),
    ...bump(g0, i32(4)), ...bump(g1, i32(4)), ...get(row), ...get(width), ...i32(2), ...shl, ...add, ...set(row),
  ];
  return [
    ...vec([[...uleb(8), I32], [...uleb(3), V128], [...uleb(3), F32]]),
    ...get(rows), ...set(left),
    ...get(width), ...i32(-4), ...and, ...i32(2), ...shl, ...set(end4),
    ...get(width), ...i32(2), ...shl, ...set(end),
    ...loop([...get(left), ...eqz], [
      ...get(gate0), ...set(g0), ...get(gate1), ...set(g1), ...get(stack), ...set(row),
      ...expert(false),
      ...i32(1), ...set(k),
      ...loop([...get(k), ...get(n), ...geU], [...expert(true), ...bump(k, i32(1))]),
      ...bump(gate0, get(gs)), ...bump(gate1, get(gs)), ...bump(stack, get(ss)), ...bump(out0, get(os)), ...bump(out1, get(os)),
      ...get(left), ...i32(1), ...sub, ...set(left),
    ]),
    0x0b,
  ];
}

/**
 * mixBack (gates 1) and mix2Back (gates 2): per row, per expert k, one pass
 * over the expert's row of the stack for every gate's dGate[k] (four column
 * sums in a vector, then the lanes and the tail added) and for dStack's row
 * (set, or added to by flag bit 0). Parameters as SimdKernels declares them.
 */
function mixBackBody(gates: 1 | 2, relu = false): number[] {
  let next = 0;
  const each = () => Array.from({ length: gates }, () => next++);
  const [gate, dGate] = [each(), each()];
  const [gs, stack, dStack, ss] = [next++, next++, next++, next++];
  const dOut = each();
  const [os, rows, n, width, flags] = [next++, next++, next++, next++, next++];
  const sums = relu ? next++ : -1;
  const firstLocal = next;
  const [left, col, end4, end, k, s, ds, g, dg, sp] = [next++, next++, next++, next++, next++, next++, next++, each(), each(), next++];
  const i32s = next - firstLocal;
  const [gv, acc, dv, sv, zv] = [each(), each(), each(), next++, next++];
  const v128s = next - firstLocal - i32s;
  const [gf, tail, df, sf, zf] = [each(), each(), each(), next++, next++];
  const f32s = next - firstLocal - i32s - v128s;
  const all = [...gate.keys()];
  /** dStack's value at col: the gates' terms, the last gate's first (the order the unpaired ops' backward passes add them), plus the old value when adding. */
  const dStackValue = (weights: number[], grads: number[], madd: number[], load: number[], adding: boolean) => [
    ...[...all].reverse().flatMap((i, at) => [...get(weights[i]!), ...get(grads[i]!), ...madd.slice(0, madd.length / 2), ...(at > 0 ? madd.slice(madd.length / 2) : [])]),
    ...(adding ? [...get(ds), ...get(col), ...add, ...load, ...madd.slice(madd.length / 2)] : []),
  ];
  /** relu's variant: the value times the stack value's mask (as reluGrad), kept in `z` and added to the sums at sp. */
  const masked = (stackValue: number, z: number, vector: boolean) =>
    relu
      ? [
          ...(vector ? [...get(stackValue), ...v128Zero, ...f32x4Gt, ...v128Ones, ...v128And, ...f32x4Mul] : [...get(stackValue), ...f32Zero, ...f32Gt, ...f32FromU32, ...f32Mul]),
          ...tee(z),
        ]
      : [];
  const summed = (z: number, vector: boolean) =>
    relu
      ? vector
        ? [...get(sp), ...get(col), ...add, ...get(sp), ...get(col), ...add, ...v128Load, ...get(z), ...f32x4Add, ...v128Store]
        : [...get(sp), ...get(col), ...add, ...get(sp), ...get(col), ...add, ...f32Load, ...get(z), ...f32Add, ...f32Store]
      : [];
  const columns = (adding: boolean) => [
    ...loop([...get(col), ...get(end4), ...geU], [
      ...get(s), ...get(col), ...add, ...v128Load, ...set(sv),
      ...all.flatMap((i) => [...get(acc[i]!), ...get(dOut[i]!), ...get(col), ...add, ...v128Load, ...tee(dv[i]!), ...get(sv), ...f32x4Mul, ...f32x4Add, ...set(acc[i]!)]),
      ...get(ds), ...get(col), ...add, ...dStackValue(gv, dv, [...f32x4Mul, ...f32x4Add], v128Load, adding), ...masked(sv, zv, true), ...v128Store,
      ...summed(zv, true),
      ...bump(col, i32(16)),
    ]),
    ...loop([...get(col), ...get(end), ...geU], [
      ...get(s), ...get(col), ...add, ...f32Load, ...set(sf),
      ...all.flatMap((i) => [...get(tail[i]!), ...get(dOut[i]!), ...get(col), ...add, ...f32Load, ...tee(df[i]!), ...get(sf), ...f32Mul, ...f32Add, ...set(tail[i]!)]),
      ...get(ds), ...get(col), ...add, ...dStackValue(gf, df, [...f32Mul, ...f32Add], f32Load, adding), ...masked(sf, zf, false), ...f32Store,
      ...summed(zf, false),
      ...bump(col, i32(4)),
    ]),
  ];
  /** dGate[k] (+)= the lanes of acc, pairwise, then the tail. */
  const gateGrad = (i: number) => {
    const total = [
      ...get(acc[i]!), ...f32x4Lane(0), ...get(acc[i]!), ...f32x4Lane(1), ...f32Add,
      ...get(acc[i]!), ...f32x4Lane(2), ...get(acc[i]!), ...f32x4Lane(3), ...f32Add, ...f32Add,
      ...get(tail[i]!), ...f32Add,
    ];
    return [
      ...get(flags), ...i32(ADD_GATE << i), ...and,
      ...ifElse([...get(dg[i]!), ...get(dg[i]!), ...f32Load, ...total, ...f32Add, ...f32Store], [...get(dg[i]!), ...total, ...f32Store]),
    ];
  };
  return [
    ...vec([[...uleb(i32s), I32], [...uleb(v128s), V128], [...uleb(f32s), F32]]),
    ...get(rows), ...set(left),
    ...get(width), ...i32(-4), ...and, ...i32(2), ...shl, ...set(end4),
    ...get(width), ...i32(2), ...shl, ...set(end),
    ...loop([...get(left), ...eqz], [
      ...get(stack), ...set(s), ...get(dStack), ...set(ds), ...(relu ? [...get(sums), ...set(sp)] : []),
      ...all.flatMap((i) => [...get(gate[i]!), ...set(g[i]!), ...get(dGate[i]!), ...set(dg[i]!)]),
      ...get(n), ...set(k),
      ...loop([...get(k), ...eqz], [
        ...all.flatMap((i) => [...get(g[i]!), ...f32Load, ...tee(gf[i]!), ...f32x4Splat, ...set(gv[i]!), ...v128Zero, ...set(acc[i]!), ...f32Zero, ...set(tail[i]!)]),
        ...i32(0), ...set(col),
        ...get(flags), ...i32(ADD_STACK), ...and, ...ifElse(columns(true), columns(false)),
        ...all.flatMap((i) => [...gateGrad(i), ...bump(g[i]!, i32(4)), ...bump(dg[i]!, i32(4))]),
        ...bump(s, get(end)), ...bump(ds, get(end)), ...(relu ? bump(sp, get(end)) : []),
        ...get(k), ...i32(1), ...sub, ...set(k),
      ]),
      ...all.flatMap((i) => [...bump(gate[i]!, get(gs)), ...bump(dGate[i]!, get(gs)), ...bump(dOut[i]!, get(os))]),
      ...bump(stack, get(ss)), ...bump(dStack, get(ss)),
      ...get(left), ...i32(1), ...sub, ...set(left),
    ]),
    0x0b,
  ];
}

/** The module's functions: each one's export name, parameter count (all i32) and body. */
const FUNCTIONS: readonly { name: keyof SimdKernels; params: number; body: () => number[] }[] = [
  { name: "relu", params: 4, body: reluBody },
  { name: "mix", params: 9, body: mixBody },
  { name: "fill", params: 5, body: fillBody },
  { name: "mix2", params: 11, body: mix2Body },
  { name: "bias", params: 5, body: biasBody },
  { name: "biasRelu", params: 5, body: biasReluBody },
  { name: "reluBack", params: 5, body: reluBackBody },
  { name: "reluBackSum", params: 6, body: reluBackSumBody },
  { name: "columnSum", params: 5, body: columnSumBody },
  { name: "mixBack", params: 12, body: () => mixBackBody(1) },
  { name: "mix2Back", params: 15, body: () => mixBackBody(2) },
  { name: "mix2BackRelu", params: 16, body: () => mixBackBody(2, true) },
];

function moduleBytes(): Uint8Array {
  const type = (count: number) => [0x60, ...vec(new Array<number[]>(count).fill([I32])), ...vec([])];
  const bodies = FUNCTIONS.map((f) => f.body());
  return new Uint8Array([
    ...WASM_HEADER,
    ...section(1, vec(FUNCTIONS.map((f) => type(f.params)))),
    ...section(2, vec([[...name("e"), ...name("m"), 0x02, 0x00, 0x00]])),
    ...section(3, vec(FUNCTIONS.map((_, i) => uleb(i)))),
    ...section(7, vec(FUNCTIONS.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vec(bodies.map((b) => [...uleb(b.length), ...b]))),
  ]);
}

/**
 * Adam's per-value arithmetic in WebAssembly SIMD, two doubles per
 * instruction, over arrays in the wasm backend's heap (the TF.js variables'
 * own storage, and the buffers the fused step keeps there).
 *
 * Why: the JavaScript loops (adam.ts's dense Adam, sparse-update.ts's lazy
 * Adam) evaluate one value at a time, and with a double division and square
 * root each they were compute-bound even with every row in cache (lazy Adam
 * over 26 tables' 1,010 rows of 16: 3-4 ms a step hot).
 *
 * The kernels evaluate exactly the loops' expressions, in the same order, in
 * doubles (f64x2 rounds each operation as JavaScript's doubles do, and
 * WebAssembly never fuses a multiply and an add), and round to float32 where
 * the loops store: so they write the same bits
 * (test/runtime/graph/adam-wasm.test.ts compares them). The module imports
 * the heap's WebAssembly.Memory, so it reads the arrays where they are; an
 * array elsewhere (a plain JavaScript array) takes the JavaScript loop, as
 * does everything under MTL_WASM_ADAM=off.
 */
import { envSetting, switchedOff } from "../../util/env-switch.js";
import { name, section, uleb, vec, WASM_HEADER } from "../../util/wasm-binary.js";
import { heapExports, heapMemory, heapModule } from "../backend/heap-modules.js";
import { ALIGNMENT } from "../backend/aligned-heap.js";
import { add, bump, eqz, F32, f32Add, f32Load, F64, geU, get, I32, i32, i32Load, loop, mul, set, simd, sub, V128 } from "../../util/wasm-ops.js";

/** Adam's factors for one step, as the JavaScript loops hold them. */
export interface AdamFactors {
  beta1: number;
  c1: number;
  beta2: number;
  c2: number;
  rate: number;
  inverse2: number;
  epsilon: number;
}

export interface AdamKernels {
  /**
   * Lazy Adam (sparse-update.ts): for each of `rows`' first `count` rows, the
   * row's `dim` values of table, and of m and v (each row's m then v in
   * `slots`, slot-rows.ts), from `values`' row in turn;
   * table -= rate * m' / (sqrt(v' * inverse2) + epsilon) with m', v' unrounded.
   */
  lazy(table: Float32Array, slots: Float32Array, rows: Int32Array, values: Float32Array, count: number, dim: number, f: AdamFactors): void;
  /**
   * Dense Adam (fused/adam.ts): w += rate * m' / (sqrt(v' * inverse2) + epsilon) with m', v' rounded
   * to float32, over w's values in pairs; returns how many it did (all but the last of an odd count).
   */
  dense(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, f: AdamFactors): number;
  /**
   * util/prefetch.ts's prefetchRows for lazy's arrays, in fewer instructions
   * per row (so more rows' misses are in flight): reads a value in each cache
   * line of each of the first `count` rows (in range) of the table and of
   * their m and v in `slots`, and returns their sum (keep it); where every
   * table row, m and v lies in one cache line, one word of each, summed as
   * int32 (touchLine: a third of the instructions per row, ~9% faster over 26
   * tables' rows after a cache flush).
   */
  touch(table: Float32Array, slots: Float32Array, rows: Int32Array, count: number, dim: number): number;
}

interface Exports {
  lazy(table: number, slots: number, rows: number, values: number, count: number, rowBytes: number, ...factors: number[]): void;
  dense(w: number, g: number, m: number, v: number, bytes: number, ...factors: number[]): void;
  touch(table: number, slots: number, rows: number, count: number, rowBytes: number): number;
  touchLine(table: number, slots: number, rows: number, count: number, rowBytes: number): number;
}

const kernelModule = heapModule(moduleBytes);

/**
 * The kernels for arrays that all view the wasm backend's current heap, or
 * null (another backend, no SIMD, an array elsewhere, or an odd `dim`, which
 * the kernels' pairs of values do not cover).
 */
export function adamKernelsFor(arrays: readonly ArrayBufferView[], dim = 2): AdamKernels | null {
  if (dim % 2 !== 0 || arrays.length === 0 || switchedOff(envSetting("MTL_WASM_ADAM"))) return null;
  const buffer = heapMemory()?.buffer;
  if (buffer === undefined) return null;
  for (const a of arrays) if (a.buffer !== buffer) return null;
  const exports = heapExports(kernelModule);
  if (exports === null) return null;
  // Wrapped once per instance: asked once per table and step, when the step's caches are cold.
  let kernels = wrapped.get(exports);
  if (kernels === undefined) {
    kernels = wrap(exports as unknown as Exports);
    wrapped.set(exports, kernels);
  }
  return kernels;
}

const wrapped = new WeakMap<object, AdamKernels>();

function wrap(e: Exports): AdamKernels {
  const factors = (f: AdamFactors) => [f.beta1, f.c1, f.beta2, f.c2, f.rate, f.inverse2, f.epsilon] as const;
  // The kernels address the heap directly, past any view's end: sizes are checked here, as a view would.
  const fits = (ok: boolean) => {
    if (!ok) throw new Error("Adam's WebAssembly kernel was given arrays of different sizes");
  };
  return {
    lazy: (table, slots, rows, values, count, dim, f) => {
      fits(slots.length === 2 * table.length && rows.length >= count && values.length >= count * dim);
      e.lazy(table.byteOffset, slots.byteOffset, rows.byteOffset, values.byteOffset, count, dim * 4, f.beta1, f.c1, f.beta2, f.c2, f.rate, f.inverse2, f.epsilon);
    },
    dense: (w, g, m, v, f) => {
      fits(g.length >= w.length && m.length === w.length && v.length === w.length);
      const done = w.length - (w.length % 2);
      e.dense(w.byteOffset, g.byteOffset, m.byteOffset, v.byteOffset, done * 4, ...factors(f));
      return done;
    },
    touch: (table, slots, rows, count, dim) => {
      fits(slots.length === 2 * table.length && rows.length >= count);
      const rowBytes = dim * 4;
      // Rows, m and v that never straddle a cache line (aligned-heap.ts puts tables and slots on lines): one read each.
      const oneLine = ALIGNMENT % rowBytes === 0 && [table, slots].every((x) => x.byteOffset % ALIGNMENT === 0);
      return (oneLine ? e.touchLine : e.touch)(table.byteOffset, slots.byteOffset, rows.byteOffset, count, rowBytes);
    },
  };
}

// The module, assembled here (util/wasm-binary.ts).
/** Two floats into the low half (the rest zero), and the low half stored. */
const load2 = [...simd(0x5d), 0, 0];
const store2 = [...simd(0x5b), 0, 0, 0];
const promote = simd(0x5f);
const demote = simd(0x5e);
const f64x2Splat = simd(0x14);
const [fAdd, fSub, fMul, fDiv, fSqrt] = [simd(0xf0), simd(0xf1), simd(0xf2), simd(0xf3), simd(0xef)];

/**
 * One pair of values at byte `at` of w, m, v (locals), the gradient at byte `from`; factors in
 * v128 locals. `rounded`: the update reads m', v' as stored (dense), else unrounded (lazy);
 * `sign`: fAdd (dense, whose rate is negative) or fSub (lazy).
 */
function pair(o: { w: number; m: number; v: number; g: number; at: number; from: number; k: number[]; t: number[]; rounded: boolean; sign: number[] }): number[] {
  const [b1, c1, b2, c2, rate, inverse2, epsilon] = o.k;
  const [g, mn, vn] = o.t;
  const addr = (base: number) => [...get(base), ...get(o.at), ...add];
  const storeRounded = (base: number, value: number) => [...addr(base), ...get(value), ...demote, ...store2];
  return [
    ...get(o.g), ...get(o.from), ...add, ...load2, ...promote, ...set(g),
    ...addr(o.m), ...load2, ...promote, ...get(b1!), ...fMul, ...get(g), ...get(c1!), ...fMul, ...fAdd, ...set(mn),
    ...addr(o.v), ...load2, ...promote, ...get(b2!), ...fMul, ...get(g), ...get(g), ...fMul, ...get(c2!), ...fMul, ...fAdd, ...set(vn),
    ...storeRounded(o.m, mn),
    ...storeRounded(o.v, vn),
    // The dense loop updates with the stored (rounded) moments.
    ...(o.rounded ? [...get(mn), ...demote, ...promote, ...set(mn), ...get(vn), ...demote, ...promote, ...set(vn)] : []),
    ...addr(o.w),
    ...addr(o.w), ...load2, ...promote,
    ...get(rate!), ...get(mn), ...fMul,
    ...get(vn), ...get(inverse2!), ...fMul, ...fSqrt, ...get(epsilon!), ...fAdd,
    ...fDiv, ...o.sign,
    ...demote, ...store2,
  ];
}

/** The factors (f64 params from `first`) splatted into v128 locals from `into`; returns their indices. */
function splats(first: number, into: number): { code: number[]; k: number[] } {
  const k = Array.from({ length: 7 }, (_, i) => into + i);
  return { code: k.flatMap((local, i) => [...get(first + i), ...f64x2Splat, ...set(local)]), k };
}

/**
 * lazy(table, slots, rows, values, count, rowBytes, 7 factors): a row's m at byte 2 * offset of slots, its v
 * rowBytes further (slot-rows.ts); locals: i32 13 row's offset, 14-16 its table, m, v, 17 byte in it; v128 18..
 */
function lazyBody(): number[] {
  const [table, slots, rows, values, count, rowBytes] = [0, 1, 2, 3, 4, 5];
  const [offset, tw, tm, tv, d] = [13, 14, 15, 16, 17];
  const { code, k } = splats(6, 18);
  const t = [25, 26, 27];
  return [
    ...vec([[...uleb(5), I32], [...uleb(10), V128]]),
    ...code,
    ...loop([...get(count), ...eqz], [
      ...get(rows), ...i32Load, ...get(rowBytes), ...mul, ...set(offset),
      ...get(table), ...get(offset), ...add, ...set(tw),
      ...get(slots), ...get(offset), ...add, ...get(offset), ...add, ...set(tm),
      ...get(tm), ...get(rowBytes), ...add, ...set(tv),
      ...i32(0), ...set(d),
      ...loop([...get(d), ...get(rowBytes), ...geU], [
        ...pair({ w: tw, m: tm, v: tv, g: values, at: d, from: d, k, t, rounded: false, sign: fSub }),
        ...bump(d, i32(8)),
      ]),
      ...bump(rows, i32(4)),
      ...bump(values, get(rowBytes)),
      ...get(count), ...i32(1), ...sub, ...set(count),
    ]),
    0x0b,
  ];
}

/** dense(w, g, m, v, bytes, 7 factors); locals: i32 12 at; v128 13.. */
function denseBody(): number[] {
  const [w, g, m, v, bytes] = [0, 1, 2, 3, 4];
  const at = 12;
  const { code, k } = splats(5, 13);
  const t = [20, 21, 22];
  return [
    ...vec([[...uleb(1), I32], [...uleb(10), V128]]),
    ...code,
    ...i32(0), ...set(at),
    ...loop([...get(at), ...get(bytes), ...geU], [
      ...pair({ w, m, v, g, at, from: at, k, t, rounded: true, sign: fAdd }),
      ...bump(at, i32(8)),
    ]),
    0x0b,
  ];
}

/**
 * touch(table, slots, rows, count, rowBytes) -> f32: each line of a table row (rowBytes at offset) and of
 * its m and v (2 * rowBytes at 2 * offset of slots); locals: i32 5 row's offset, 6 byte in a row; f32 7 the sum.
 */
function touchBody(): number[] {
  const [table, slots, rows, count, rowBytes] = [0, 1, 2, 3, 4];
  const [offset, d, sum] = [5, 6, 7];
  /** sum += the value at byte `at` (on the stack after `at`) of `array`. */
  const read = (array: number, at: number[]) => [...get(sum), ...get(array), ...at, ...add, ...f32Load, ...f32Add, ...set(sum)];
  /** A value in each line of the `bytes` (on the stack after `bytes`) from `start` of `array`: every 64th byte, then the last value. */
  const lines = (array: number, start: number[], bytes: number[]) => [
    ...i32(0), ...set(d),
    ...loop([...get(d), ...bytes, ...geU], [...read(array, [...start, ...get(d), ...add]), ...bump(d, i32(64))]),
    // The row's last value: its line when the row does not start one.
    ...read(array, [...start, ...bytes, ...add, ...i32(4), ...sub]),
  ];
  const twice = (x: number) => [...get(x), ...get(x), ...add];
  return [
    ...vec([[...uleb(2), I32], [...uleb(1), F32]]),
    ...loop([...get(count), ...eqz], [
      ...get(rows), ...i32Load, ...get(rowBytes), ...mul, ...set(offset),
      ...lines(table, get(offset), get(rowBytes)),
      ...lines(slots, twice(offset), twice(rowBytes)),
      ...bump(rows, i32(4)),
      ...get(count), ...i32(1), ...sub, ...set(count),
    ]),
    ...get(sum),
    0x0b,
  ];
}

/**
 * touchLine(table, slots, rows, count, rowBytes) -> i32, for table rows, m and v each within one cache line: a
 * word of each, summed (as integers: no float latency in the chain); so few instructions per row that more rows'
 * misses are in flight at once. Locals: i32 5 row's offset, 6 its m's, 7 the sum.
 */
function touchLineBody(): number[] {
  const [table, slots, rows, count, rowBytes] = [0, 1, 2, 3, 4];
  const [offset, m, sum] = [5, 6, 7];
  return [
    ...vec([[...uleb(3), I32]]),
    ...loop([...get(count), ...eqz], [
      ...get(rows), ...i32Load, ...get(rowBytes), ...mul, ...set(offset),
      ...get(slots), ...get(offset), ...add, ...get(offset), ...add, ...set(m),
      ...get(sum),
      ...get(table), ...get(offset), ...add, ...i32Load, ...add,
      ...get(m), ...i32Load, ...add,
      ...get(m), ...get(rowBytes), ...add, ...i32Load, ...add,
      ...set(sum),
      ...bump(rows, i32(4)),
      ...get(count), ...i32(1), ...sub, ...set(count),
    ]),
    ...get(sum),
    0x0b,
  ];
}

function moduleBytes(): Uint8Array {
  const type = (ints: number, doubles: number, result: number[] = []) =>
    [0x60, ...vec([...new Array<number[]>(ints).fill([I32]), ...new Array<number[]>(doubles).fill([F64])]), ...vec(result.map((r) => [r]))];
  const bodies = [lazyBody(), denseBody(), touchBody(), touchLineBody()];
  return new Uint8Array([
    ...WASM_HEADER,
    ...section(1, vec([type(6, 7), type(5, 7), type(5, 0, [F32]), type(5, 0, [I32])])),
    ...section(2, vec([[...name("e"), ...name("m"), 0x02, 0x00, 0x00]])),
    ...section(3, vec([[0], [1], [2], [3]])),
    ...section(7, vec([[...name("lazy"), 0x00, 0], [...name("dense"), 0x00, 1], [...name("touch"), 0x00, 2], [...name("touchLine"), 0x00, 3]])),
    ...section(10, vec(bodies.map((b) => [...uleb(b.length), ...b]))),
  ]);
}

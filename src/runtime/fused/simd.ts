/**
 * Forward-pass kernels in WebAssembly SIMD (four floats per instruction),
 * assembled here from their opcodes (no toolchain, no binary file): relu over
 * rows, an MMoE gate's mix, and a bias copied into every row. In V8 the same loops in JavaScript run one
 * float at a time; with 3M relu values and 2M mix products per 1,000-row
 * MMoE request they were a third of its time outside the matrix products.
 *
 * The kernels work on a WebAssembly.Memory of their own: the inference
 * program allocates its tensors there (Arena) and hands the kernels byte
 * addresses. null from simdKernels() (no WebAssembly, or no SIMD): the
 * caller runs its JavaScript loops instead.
 */
import { name, section, sleb, uleb, vec, WASM_HEADER, webAssembly, type WasmMemory } from "../../util/wasm-binary.js";

/** Byte addresses and strides in the arena's memory; counts in floats. */
export interface SimdKernels {
  /** rows x units floats from `at`, rows `stride` bytes apart: each row set to the `units` floats at `from`. */
  fill(at: number, rows: number, units: number, stride: number, from: number): void;
  /** rows x units floats from `at`, rows `stride` bytes apart: v = max(v, 0) in place. */
  relu(at: number, rows: number, units: number, stride: number): void;
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
}

const wasmApi = webAssembly();

/** A memory for simdKernels, or null where WebAssembly SIMD is unavailable. */
export function simdMemory(): WasmMemory | null {
  return wasmApi === undefined || compiled() === null ? null : new wasmApi.Memory({ initial: 0 });
}

/** The kernels over `memory` (from simdMemory). */
export function simdKernels(memory: WasmMemory): SimdKernels {
  const exports = new wasmApi!.Instance(compiled()!, { e: { m: memory } }).exports as unknown as SimdKernels;
  return { fill: exports.fill, relu: exports.relu, mix: exports.mix, mix2: exports.mix2 };
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

const I32 = 0x7f;
const get = (i: number) => [0x20, ...uleb(i)];
const set = (i: number) => [0x21, ...uleb(i)];
const i32 = (n: number) => [0x41, ...sleb(n)];
const add = [0x6a];
const sub = [0x6b];
const mul = [0x6c];
const and = [0x71];
const shl = [0x74];
const geU = [0x4f];
const eqz = [0x45];
/** Memory access with 4-byte alignment and no offset. */
const mem = [2, 0];
const f32Load = [0x2a, ...mem];
const f32Store = [0x38, ...mem];
const f32Add = [0x92];
const f32Mul = [0x94];
const f32Max = [0x97];
const f32Zero = [0x43, 0, 0, 0, 0];
const simd = (op: number) => [0xfd, ...uleb(op)];
const v128Load = [...simd(0x00), ...mem];
const v128Store = [...simd(0x0b), ...mem];
const v128Zero = [...simd(0x0c), ...new Array<number>(16).fill(0)];
const f32x4Splat = simd(0x13);
const f32x4Add = simd(0xe4);
const f32x4Mul = simd(0xe6);
const f32x4Max = simd(0xe9);

/** while (!(exit condition)) { body } as block/loop: `exit` leaves an i32, nonzero to stop. */
const loop = (exit: number[], body: number[]): number[] => [0x02, 0x40, 0x03, 0x40, ...exit, 0x0d, 1, ...body, 0x0c, 0, 0x0b, 0x0b];
/** local += n */
const bump = (local: number, n: number[]) => [...get(local), ...n, ...add, ...set(local)];

/** relu(at, rows, units, stride); locals 4 row end, 5 q, 6 SIMD end, 7 row's end. */
function reluBody(): number[] {
  const [at, rows, units, stride, last, q, end4, end] = [0, 1, 2, 3, 4, 5, 6, 7];
  return [
    ...vec([[...uleb(4), I32]]),
    ...get(at), ...get(rows), ...get(stride), ...mul, ...add, ...set(last),
    ...loop([...get(at), ...get(last), ...geU], [
      ...get(at), ...set(q),
      ...get(at), ...get(units), ...i32(-4), ...and, ...i32(2), ...shl, ...add, ...set(end4),
      ...get(at), ...get(units), ...i32(2), ...shl, ...add, ...set(end),
      ...loop([...get(q), ...get(end4), ...geU], [...get(q), ...get(q), ...v128Load, ...v128Zero, ...f32x4Max, ...v128Store, ...bump(q, i32(16))]),
      ...loop([...get(q), ...get(end), ...geU], [...get(q), ...get(q), ...f32Load, ...f32Zero, ...f32Max, ...f32Store, ...bump(q, i32(4))]),
      ...bump(at, get(stride)),
    ]),
    0x0b,
  ];
}

/** fill(at, rows, units, stride, from); locals 5 row end, 6 q, 7 SIMD end, 8 row's end, 9 p. */
function fillBody(): number[] {
  const [at, rows, units, stride, from, last, q, end4, end, p] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  return [
    ...vec([[...uleb(5), I32]]),
    ...get(at), ...get(rows), ...get(stride), ...mul, ...add, ...set(last),
    ...loop([...get(at), ...get(last), ...geU], [
      ...get(at), ...set(q), ...get(from), ...set(p),
      ...get(at), ...get(units), ...i32(-4), ...and, ...i32(2), ...shl, ...add, ...set(end4),
      ...get(at), ...get(units), ...i32(2), ...shl, ...add, ...set(end),
      ...loop([...get(q), ...get(end4), ...geU], [...get(q), ...get(p), ...v128Load, ...v128Store, ...bump(q, i32(16)), ...bump(p, i32(16))]),
      ...loop([...get(q), ...get(end), ...geU], [...get(q), ...get(p), ...f32Load, ...f32Store, ...bump(q, i32(4)), ...bump(p, i32(4))]),
      ...bump(at, get(stride)),
    ]),
    0x0b,
  ];
}

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
    ...vec([[...uleb(8), I32], [...uleb(1), 0x7b], [...uleb(1), 0x7d]]),
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
    ...vec([[...uleb(8), I32], [...uleb(3), 0x7b], [...uleb(3), 0x7d]]),
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

function moduleBytes(): Uint8Array {
  const params = (count: number) => [0x60, ...vec(new Array<number[]>(count).fill([I32])), ...vec([])];
  const bodies = [reluBody(), mixBody(), fillBody(), mix2Body()];
  return new Uint8Array([
    ...WASM_HEADER,
    ...section(1, vec([params(4), params(9), params(5), params(11)])),
    ...section(2, vec([[...name("e"), ...name("m"), 0x02, 0x00, 0x00]])),
    ...section(3, vec([[0], [1], [2], [3]])),
    ...section(7, vec([[...name("relu"), 0x00, 0], [...name("mix"), 0x00, 1], [...name("fill"), 0x00, 2], [...name("mix2"), 0x00, 3]])),
    ...section(10, vec(bodies.map((b) => [...uleb(b.length), ...b]))),
  ]);
}

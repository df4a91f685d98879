/**
 * The fused training step's embedding-row work as WebAssembly SIMD kernels
 * over the wasm backend's heap (backend/heap-modules.ts), where the tables
 * are: the forward gather of each lookup's rows (layers.ts EmbeddingOp) and
 * the backward sum of its gradient rows per table row (tables.ts).
 *
 * Why: both loops read rows at random in tables of megabytes. A JavaScript
 * loop over random rows keeps few of them in flight, WebAssembly's v128 loads
 * many: 1,024 rows of each of 26 tables of 100,000 x 16 after a cache flush
 * took 4-5 ms in JavaScript, 0.6-0.85 ms here (in the recsys-ESMM step: 2.1
 * against 0.9-1.0 ms); and the hash probe of the sum is a short dependent
 * chain per row that WebAssembly runs in fewer instructions. (One call
 * gathering every lookup row by row, so that the target is written in
 * address order, measured slower than a call per lookup.)
 *
 * Bits: the gather copies (v128 load and store move bits); the sum copies a
 * table row's first gradient row and adds each later one in batch order
 * (f32x4.add rounds as JavaScript's float32 stores of double sums of two
 * floats do), so every result is bit-equal to the JavaScript loops
 * (copy-rows.ts, tables.ts), which test/runtime/fused/table-kernels.test.ts
 * checks. Rows must be whole vectors (dim a multiple of 4) and every array in
 * the heap; elsewhere, and under MTL_WASM_TABLES=off, the loops run.
 */
import { envSetting, switchedOff } from "../../util/env-switch.js";
import { name, section, uleb, vec, WASM_HEADER } from "../../util/wasm-binary.js";
import { add, and, br, bump, end, eq, f32x4Add, geU, get, I32, i32, i32Load, i32Store, ifThen, loop, mul, ret, set, shl, shrU, sub, V128, v128Load, v128LoadAt, v128Store, v128StoreAt } from "../../util/wasm-ops.js";
import { heapExports, heapModule } from "../backend/heap-modules.js";

export interface TableKernels {
  /**
   * For r < count: the `rowBytes` bytes of table row ids[r] (at table + row * rowBytes) to
   * target + r * targetStride. Returns -1, or the first r whose id is not below tableRows
   * (rows before it are copied, none after).
   */
  gather(table: number, ids: number, count: number, target: number, targetStride: number, rowBytes: number, tableRows: number): number;
  /**
   * tables.ts's sum in one pass over the batch rows r < batchRows: the row ids[r] is looked up in the hash
   * (keys, places; `shift`, `mask`); new, it takes place `count` (rows[count] = row) and gradient row r
   * (grad + r * gradStride) is copied to values + place * rowBytes, else added there. Returns the new
   * count, or -1 - r for the first r whose id is not below tableRows (rows before it are summed).
   */
  accumulate(
    keys: number,
    places: number,
    rows: number,
    values: number,
    count: number,
    ids: number,
    grad: number,
    batchRows: number,
    gradStride: number,
    rowBytes: number,
    shift: number,
    mask: number,
    tableRows: number,
  ): number;
}

const kernelModule = heapModule(moduleBytes);

/**
 * The kernels over the backend's heap, or null: another backend, no SIMD,
 * rows of `dim` values that are not whole vectors, or MTL_WASM_TABLES=off.
 */
export function tableKernels(dim: number): TableKernels | null {
  if (dim % 4 !== 0 || switchedOff(envSetting("MTL_WASM_TABLES"))) return null;
  const exports = heapExports(kernelModule) as unknown as Exports | null;
  if (exports === null) return null;
  let forms = chosen.get(exports);
  if (forms === undefined) {
    forms = [16, 64].map((bytes) => ({ gather: bytes === 64 ? exports.gather64 : exports.gather16, accumulate: exports.accumulate }));
    chosen.set(exports, forms);
  }
  // Rows of whole cache lines' worth of vectors copy four at a time.
  return forms[dim % 16 === 0 ? 1 : 0]!;
}

/** Per instance, the kernels as TableKernels for rows of 16-byte and of 64-byte multiples (made once: asked per lookup). */
const chosen = new WeakMap<object, TableKernels[]>();

interface Exports {
  gather16: TableKernels["gather"];
  gather64: TableKernels["gather"];
  accumulate: TableKernels["accumulate"];
}

/** The multiplier of tables.ts's Fibonacci hash (2^32 / golden ratio). */
export const FIBONACCI = 0x9e3779b1;

/**
 * gather(table, ids, count, target, targetStride, rowBytes, tableRows) -> i32, copying `vectors` v128s at a
 * time (all loaded, then all stored: their loads in flight together), so rowBytes must be a multiple of
 * 16 * vectors; locals: i32 7 r, 8 row's address, 9 byte in it, 10 target's; v128 11...
 */
function gatherBody(vectors: number): number[] {
  const [table, ids, count, target, targetStride, rowBytes, tableRows] = [0, 1, 2, 3, 4, 5, 6];
  const [r, from, d, to, v0] = [7, 8, 9, 10, 11];
  const offsets = Array.from({ length: vectors }, (_, i) => i * 16);
  return [
    ...vec([[...uleb(4), I32], [...uleb(vectors), V128]]),
    ...loop([...get(r), ...get(count), ...geU], [
      ...get(ids), ...get(r), ...i32(2), ...shl, ...add, ...i32Load, ...set(from),
      ...get(from), ...get(tableRows), ...geU, ...ifThen, ...get(r), ...ret, ...end,
      ...get(from), ...get(rowBytes), ...mul, ...get(table), ...add, ...set(from),
      ...get(target), ...set(to),
      ...i32(0), ...set(d),
      ...loop([...get(d), ...get(rowBytes), ...geU], [
        ...offsets.flatMap((o, i) => [...get(from), ...v128LoadAt(o), ...set(v0 + i)]),
        ...offsets.flatMap((o, i) => [...get(to), ...get(v0 + i), ...v128StoreAt(o)]),
        ...bump(from, i32(16 * vectors)),
        ...bump(to, i32(16 * vectors)),
        ...bump(d, i32(16 * vectors)),
      ]),
      ...bump(target, get(targetStride)),
      ...bump(r, i32(1)),
    ]),
    ...i32(-1),
    ...end,
  ];
}

/** accumulate(13 params, see TableKernels) -> i32; locals: 13 r, 14 row, 15 h, 16 key, 17 to, 18 fresh, 19 d, 20 from. */
function accumulateBody(): number[] {
  const [keys, places, rows, values, count, ids, grad, batchRows, gradStride, rowBytes, shift, mask, tableRows] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
  const [r, row, h, key, to, fresh, d, from] = [13, 14, 15, 16, 17, 18, 19, 20];
  const slot = (array: number) => [...get(array), ...get(h), ...i32(2), ...shl, ...add];
  /** to = values + place * rowBytes, with `place` left on the stack by the code before. */
  const toPlace = [...get(rowBytes), ...mul, ...get(values), ...add, ...set(to)];
  const vectors = (body: number[]) => [...i32(0), ...set(d), ...loop([...get(d), ...get(rowBytes), ...geU], [...body, ...bump(d, i32(16))])];
  const at = (base: number) => [...get(base), ...get(d), ...add];
  return [
    ...vec([[...uleb(8), I32]]),
    ...get(grad), ...set(from),
    ...loop([...get(r), ...get(batchRows), ...geU], [
      ...get(ids), ...get(r), ...i32(2), ...shl, ...add, ...i32Load, ...set(row),
      ...get(row), ...get(tableRows), ...geU, ...ifThen, ...i32(-1), ...get(r), ...sub, ...ret, ...end,
      ...get(row), ...i32(FIBONACCI | 0), ...mul, ...get(shift), ...shrU, ...set(h),
      // Linear probing (the hash is at most half full): block { loop { ... } }, leaving with `to` and `fresh` set.
      0x02, 0x40, 0x03, 0x40,
      ...slot(keys), ...i32Load, ...set(key),
      ...get(key), ...get(row), ...eq, ...ifThen,
      ...slot(places), ...i32Load, ...toPlace, ...i32(0), ...set(fresh), ...br(2),
      ...end,
      ...get(key), ...i32(-1), ...eq, ...ifThen,
      ...slot(keys), ...get(row), ...i32Store,
      ...slot(places), ...get(count), ...i32Store,
      ...get(rows), ...get(count), ...i32(2), ...shl, ...add, ...get(row), ...i32Store,
      ...get(count), ...toPlace, ...bump(count, i32(1)), ...i32(1), ...set(fresh), ...br(2),
      ...end,
      ...get(h), ...i32(1), ...add, ...get(mask), ...and, ...set(h),
      ...br(0),
      ...end, ...end,
      ...get(fresh), 0x04, 0x40,
      ...vectors([...at(to), ...at(from), ...v128Load, ...v128Store]),
      0x05,
      ...vectors([...at(to), ...at(to), ...v128Load, ...at(from), ...v128Load, ...f32x4Add, ...v128Store]),
      ...end,
      ...bump(from, get(gradStride)),
      ...bump(r, i32(1)),
    ]),
    ...get(count),
    ...end,
  ];
}

function moduleBytes(): Uint8Array {
  const type = (ints: number) => [0x60, ...vec(new Array<number[]>(ints).fill([I32])), ...vec([[I32]])];
  const bodies = [gatherBody(1), gatherBody(4), accumulateBody()];
  return new Uint8Array([
    ...WASM_HEADER,
    ...section(1, vec([type(7), type(13)])),
    ...section(2, vec([[...name("e"), ...name("m"), 0x02, 0x00, 0x00]])),
    ...section(3, vec([[0], [0], [1]])),
    ...section(7, vec([[...name("gather16"), 0x00, 0], [...name("gather64"), 0x00, 1], [...name("accumulate"), 0x00, 2]])),
    ...section(10, vec(bodies.map((b) => [...uleb(b.length), ...b]))),
  ]);
}

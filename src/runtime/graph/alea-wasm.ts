/**
 * Alea's draws (seeded-uniform.ts) as a WebAssembly loop over 64-bit
 * integers, about three times as fast as the JavaScript loop.
 *
 * Alea is a multiply-with-carry generator computed in doubles: with every
 * state value s a multiple of 2^-32, t = 2091639·s0 + c·2^-32 is exactly
 * T·2^-32 for the integer T = 2091639·S0 + c (S = s·2^32, below 2^53), the
 * new carry is T >> 32 and the new S2 is T mod 2^32. In doubles, each draw
 * waits on the last one's conversion of t to an integer and back (about 12
 * cycles); in integers only on an add and a shift. The value written is
 * computed as in JavaScript, minval + range·(S2·2^-32) in doubles, rounded
 * to float32 as a Float32Array store rounds it, so the bits are the same
 * (test/runtime/graph/seeded-uniform.test.ts compares them).
 *
 * The module's own memory holds the state (32 bytes) and one chunk of
 * values, which the caller copies out: the wasm heap a table lives in
 * belongs to TF.js.
 */
import { name, section, sleb, uleb, WASM_HEADER, WASM_PAGE, webAssembly } from "../../util/wasm-binary.js";
import { F64, I32, I64 } from "../../util/wasm-ops.js";

/** Values drawn per call: 256 KB of memory, copied out while still in cache. */
export const ALEA_CHUNK = 65_536;
const STATE_BYTES = 64;

export interface AleaWasm {
  /** The state as integers: S0, S1, S2 (each s·2^32) and the carry. */
  readonly state: BigUint64Array;
  /** Draws `count` (at most ALEA_CHUNK) values into `values`, advancing `state`. */
  draw(count: number, minval: number, range: number): void;
  /** The chunk the last draw wrote (its first `count` values). */
  readonly values: Float32Array;
}

let instance: AleaWasm | null | undefined;

/** The compiled generator, or null where WebAssembly cannot run it. Compiled once. */
export function aleaWasm(): AleaWasm | null {
  if (instance !== undefined) return instance;
  instance = null;
  const wasm = webAssembly();
  if (wasm === undefined) return null;
  try {
    const { exports } = new wasm.Instance(new wasm.Module(MODULE));
    const memory = exports["memory"] as { buffer: ArrayBuffer };
    const draw = exports["draw"] as (count: number, minval: number, range: number) => void;
    instance = {
      state: new BigUint64Array(memory.buffer, 0, 4),
      values: new Float32Array(memory.buffer, STATE_BYTES, ALEA_CHUNK),
      draw,
    };
  } catch {
    // No WebAssembly (or no BigInt64 views): the JavaScript loop draws the same values.
  }
  return instance;
}

// The module, assembled here (about 150 bytes).
const op = {
  block: 0x02, loop: 0x03, brIf: 0x0d, end: 0x0b, void: 0x40,
  localGet: 0x20, localSet: 0x21, localTee: 0x22,
  i32Const: 0x41, i64Const: 0x42, f64Const: 0x44,
  i64Load: 0x29, i64Store: 0x37, f32Store: 0x38,
  i32Add: 0x6a, i32Shl: 0x74, i32GeU: 0x4f, i32LtU: 0x49,
  i64Add: 0x7c, i64Mul: 0x7e, i64And: 0x83, i64ShrU: 0x88,
  f64Add: 0xa0, f64Mul: 0xa2, f64ConvertI64U: 0xba, f32DemoteF64: 0xb6,
} as const;

function f64Bytes(value: number): number[] {
  return [...new Uint8Array(Float64Array.of(value).buffer)];
}

/** draw(count: i32, minval: f64, range: f64): locals 3-6 S0 S1 S2 carry, 7 T, 8 the write address, 9 its end. */
function drawBody(): number[] {
  const [count, minval, range, s0, s1, s2, carry, t, at, end] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const get = (local: number) => [op.localGet, local];
  const set = (local: number) => [op.localSet, local];
  const load = (i: number, local: number) => [op.i32Const, 0, op.i64Load, 3, ...uleb(i * 8), ...set(local)];
  const store = (i: number, local: number) => [op.i32Const, 0, ...get(local), op.i64Store, 3, ...uleb(i * 8)];
  const code = [
    ...load(0, s0), ...load(1, s1), ...load(2, s2), ...load(3, carry),
    op.i32Const, ...sleb(STATE_BYTES), ...set(at),
    ...get(count), op.i32Const, 2, op.i32Shl, op.i32Const, ...sleb(STATE_BYTES), op.i32Add, ...set(end),
    op.block, op.void,
    ...get(at), ...get(end), op.i32GeU, op.brIf, 0,
    op.loop, op.void,
    // T = 2091639·S0 + carry; S0 = S1; S1 = S2; carry = T >> 32; S2 = T mod 2^32
    ...get(s0), op.i64Const, ...sleb(2091639), op.i64Mul, ...get(carry), op.i64Add, ...set(t),
    ...get(s1), ...set(s0),
    ...get(s2), ...set(s1),
    ...get(t), op.i64Const, 32, op.i64ShrU, ...set(carry),
    ...get(t), op.i64Const, ...sleb(0xffffffffn), op.i64And, ...set(s2),
    // values[i] = fround(minval + range · (S2 · 2^-32))
    ...get(at),
    ...get(minval), ...get(range), ...get(s2), op.f64ConvertI64U, op.f64Const, ...f64Bytes(2 ** -32), op.f64Mul, op.f64Mul, op.f64Add, op.f32DemoteF64,
    op.f32Store, 2, 0,
    ...get(at), op.i32Const, 4, op.i32Add, op.localTee, at,
    ...get(end), op.i32LtU, op.brIf, 0,
    op.end,
    op.end,
    ...store(0, s0), ...store(1, s1), ...store(2, s2), ...store(3, carry),
    op.end,
  ];
  const locals = [2, 5, I64, 2, I32];
  return [...uleb(locals.length + code.length), ...locals, ...code];
}

const MODULE = new Uint8Array([
  ...WASM_HEADER,
  ...section(1, [1, 0x60, 3, I32, F64, F64, 0]),
  ...section(3, [1, 0]),
  // Memory: the state and one chunk of float32 values, in 64 KiB pages.
  ...section(5, [1, 0, ...uleb(Math.ceil((STATE_BYTES + ALEA_CHUNK * 4) / WASM_PAGE))]),
  ...section(7, [2, ...name("draw"), 0, 0, ...name("memory"), 2, 0]),
  ...section(10, [1, ...drawBody()]),
]);

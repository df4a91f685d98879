/**
 * The WebAssembly instructions the hand-assembled kernel modules are written
 * in (src/runtime/fused/simd.ts, src/runtime/graph/adam-wasm.ts, alea-wasm.ts), as byte
 * arrays to splice into a function body: one vocabulary, so an opcode is
 * looked up once. Encodings: the WebAssembly core and SIMD specifications.
 */
import { sleb, uleb } from "./wasm-binary.js";

/** Value types. */
export const I32 = 0x7f;
export const I64 = 0x7e;
export const F32 = 0x7d;
export const F64 = 0x7c;
export const V128 = 0x7b;

/** Locals. */
export const get = (i: number) => [0x20, ...uleb(i)];
export const set = (i: number) => [0x21, ...uleb(i)];
export const tee = (i: number) => [0x22, ...uleb(i)];

/** i32 constants and arithmetic. */
export const i32 = (n: number) => [0x41, ...sleb(n)];
export const add = [0x6a];
export const sub = [0x6b];
export const mul = [0x6c];
export const and = [0x71];
export const shl = [0x74];
export const geU = [0x4f];
export const eqz = [0x45];
export const eq = [0x46];
export const shrU = [0x76];

/** Control: `if` with no result, its `end`, and leaving the function with what is on the stack. */
export const ifThen = [0x04, 0x40];
export const end = [0x0b];
export const ret = [0x0f];
/** Branches to the `depth`-th enclosing block or loop (0: the innermost). */
export const br = (depth: number) => [0x0c, ...uleb(depth)];

/** Memory access with 4-byte alignment and no offset. */
export const mem = [2, 0];
export const i32Load = [0x28, ...mem];
export const i32Store = [0x36, ...mem];
export const f32Load = [0x2a, ...mem];
export const f32Store = [0x38, ...mem];
export const f32Add = [0x92];

/** A SIMD instruction (the 0xfd prefix and its opcode). */
export const simd = (op: number) => [0xfd, ...uleb(op)];
/** A whole vector from and to memory (alignment hint 1 byte: the addresses need not be 16-byte aligned), and f32x4.add. */
export const v128Load = [...simd(0x00), 0, 0];
export const v128Store = [...simd(0x0b), 0, 0];
/** The same `offset` bytes past the address on the stack. */
export const v128LoadAt = (offset: number) => [...simd(0x00), 0, ...uleb(offset)];
export const v128StoreAt = (offset: number) => [...simd(0x0b), 0, ...uleb(offset)];
export const f32x4Add = simd(0xe4);

/** while (!(exit condition)) { body } as block/loop: `exit` leaves an i32, nonzero to stop. */
export const loop = (exit: number[], body: number[]): number[] => [0x02, 0x40, 0x03, 0x40, ...exit, 0x0d, 1, ...body, 0x0c, 0, 0x0b, 0x0b];
/** local += n */
export const bump = (local: number, n: number[]) => [...get(local), ...n, ...add, ...set(local)];

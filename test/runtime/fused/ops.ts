/**
 * Shared by the op-level tests of the fused step (dense.test.ts,
 * layers.test.ts): Bufs and Params filled with seeded values, a reference
 * product, and twin setups whose Bufs live in JavaScript arrays or in a SIMD
 * arena (program.ts layoutInArena), so one op runs its JavaScript loops and
 * its twin the SIMD kernels on the same numbers.
 */
import assert from "node:assert/strict";
import type * as tf from "@tensorflow/tfjs";
import { SimdArena } from "../../../src/runtime/fused/arena.js";
import { Buf, type Param } from "../../../src/runtime/fused/buffers.js";
import type { DenseOp } from "../../../src/runtime/fused/dense.js";
import type { Gemm } from "../../../src/runtime/fused/gemm.js";
import { layoutInArena } from "../../../src/runtime/fused/program.js";
import { seededRandom } from "../../helpers/random.js";

/** Row-major C = op(A)·op(B) + beta·C in double, one rounding per element: the same function on both twins. */
export const referenceGemm: Gemm = (transposeA, transposeB, m, n, k, a, lda, b, ldb, beta, c, ldc) => {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let total = 0;
      for (let p = 0; p < k; p++) total += a[transposeA ? p * lda + i : i * lda + p]! * b[transposeB ? j * ldb + p : p * ldb + j]!;
      c[i * ldc + j] = beta === 0 ? total : total + beta * c[i * ldc + j]!;
    }
  }
};

/** Values in [-1, 1) from `seed`, every 11th an exact 0 (relu's edge). */
export function seeded(count: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length: count }, (_, i) => (i % 11 === 0 ? 0 : random() * 2 - 1));
}

/** A trained weight of `size` values without a TF.js variable (the ops read only its view and gradient). */
export function testParam(size: number, seed: number): Param {
  return { variable: undefined as unknown as tf.Variable, view: seeded(size, seed), grad: new Float32Array(size), gradSet: false };
}

/** The Bufs' values and gradients for `rows` rows: JavaScript arrays (arena null) or the arena's, then seeded values in both. */
export function allocate(arena: SimdArena | null, bufs: readonly Buf[], rows: number, dense: readonly DenseOp[] = []): void {
  if (arena === null) for (const buf of bufs) buf.allocate(rows, true);
  else layoutInArena(arena, bufs.map((buf) => ({ buf, ownValues: true })), rows, dense);
  bufs.forEach((buf, i) => {
    buf.value.set(seeded(buf.value.length, 10 + i));
    buf.grad?.set(seeded(buf.grad.length, 50 + i));
  });
}

export function arena(): SimdArena {
  const made = SimdArena.create();
  assert.ok(made !== null, "Node runs WebAssembly SIMD");
  return made;
}

/** The floats of each array, bit for bit (deepStrictEqual compares typed arrays' bytes: -0 is not 0). */
export function assertSameBits(simd: ArrayLike<number>[], plain: ArrayLike<number>[], what: string): void {
  simd.forEach((a, i) => assert.deepEqual(Float32Array.from(a), Float32Array.from(plain[i]!), `${what}: array ${i}`));
}

/** Counts each kernel's calls from now on (the ops look a kernel up at each call), so a test can tell the SIMD path ran. */
export function countCalls(made: SimdArena): Map<string, number> {
  const calls = new Map<string, number>();
  const kernels = made.kernels as unknown as Record<string, (...args: number[]) => void>;
  for (const [name, f] of Object.entries(kernels)) {
    kernels[name] = (...args: number[]) => {
      calls.set(name, (calls.get(name) ?? 0) + 1);
      f(...args);
    };
  }
  return calls;
}

/** An arena of at most `pages` pages, whose layouts' outcomes (true: laid out, false: too large) are recorded in `outcomes`. */
export function smallArena(pages: number): { arena: SimdArena; outcomes: boolean[] } {
  const made = SimdArena.create(pages);
  assert.ok(made !== null, "Node runs WebAssembly SIMD");
  const outcomes: boolean[] = [];
  const layout = made.layout.bind(made);
  made.layout = (floats) => {
    const laid = layout(floats);
    outcomes.push(laid !== null);
    return laid;
  };
  return { arena: made, outcomes };
}

export { Buf };

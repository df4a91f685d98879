/**
 * A fused Dense layer (src/runtime/fused/dense.ts) whose Bufs live in a SIMD
 * arena runs its bias(+relu) pass and relu's backward as SIMD kernels, and
 * computes bit for bit what its JavaScript loops compute: the output, the
 * gradient it leaves in place of dy, and the weight, bias and input
 * gradients; on its own rows and written into a concatenation's columns
 * (rows at a stride that is no multiple of four), with a width that leaves
 * each row a tail after the vectors.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DenseOp } from "../../../src/runtime/fused/dense.js";
import { allocate, arena, assertSameBits, Buf, countCalls, referenceGemm, testParam } from "./ops.js";

interface Case {
  activation: "relu" | "linear";
  bias: boolean;
  /** Written into columns 3.. of an 18-wide concatenation. */
  placed: boolean;
}

const [ROWS, IN, UNITS, OFFSET, CONCAT] = [7, 5, 13, 3, 18];

/** One forward and backward pass; the arrays a test compares, and the kernels called. */
function run(simd: boolean, c: Case): { arrays: ArrayLike<number>[]; calls: Map<string, number> } {
  const made = simd ? arena() : null;
  const calls = made === null ? new Map<string, number>() : countCalls(made);
  const x = new Buf("x", IN, true);
  const y = new Buf("y", UNITS, true);
  const concat = c.placed ? new Buf("concat", CONCAT, true) : null;
  const kernel = testParam(IN * UNITS, 1);
  const bias = c.bias ? testParam(UNITS, 2) : null;
  const op = new DenseOp(referenceGemm, x, y, kernel, bias, c.activation, made?.kernels ?? null);
  if (concat !== null) op.writeInto(concat, OFFSET);
  allocate(made, concat === null ? [x, y] : [x, concat], ROWS, [op]);
  op.allocate(ROWS);
  op.forward(ROWS);
  const target = concat ?? y;
  const forward = Float32Array.from(target.value);
  target.gradSet = true;
  x.gradSet = true; // dx added to what another reader wrote
  op.backward(ROWS);
  return { arrays: [forward, target.grad!, kernel.grad, bias?.grad ?? [], x.grad!], calls };
}

for (const activation of ["relu", "linear"] as const) {
  for (const bias of [true, false]) {
    for (const placed of [false, true]) {
      const c: Case = { activation, bias, placed };
      const name = `${activation}${bias ? " with bias" : ""}${placed ? ", written into a concatenation" : ""}`;
      test(`Dense ${name}: the SIMD kernels give the JavaScript loops' values, gradients and weight gradients bit for bit`, () => {
        const simd = run(true, c);
        const plain = run(false, c);
        assertSameBits(simd.arrays, plain.arrays, name);
        const forward = bias ? (activation === "relu" ? "biasRelu" : "bias") : activation === "relu" ? "relu" : undefined;
        const expected = [...(forward === undefined ? [] : [forward]), ...(activation === "relu" ? ["reluBack"] : [])];
        assert.deepEqual([...simd.calls.keys()].sort(), expected.sort(), "the SIMD path ran");
      });
    }
  }
}

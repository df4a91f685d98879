/**
 * A fused Dense layer (src/runtime/fused/dense.ts) whose Bufs live in a SIMD
 * arena runs its bias(+relu) pass and relu's backward as SIMD kernels, and
 * computes bit for bit what its JavaScript loops compute: the output, the
 * gradient it leaves in place of dy, and the weight and input gradients; on
 * its own rows and written into a concatenation's columns (rows at a stride
 * that is no multiple of four), with a width that leaves each row a tail
 * after the vectors. Its bias gradient is dz's column sums in float32, row
 * after row (bit for bit), in relu's backward pass or a pass of its own,
 * within float32 rounding of the loops' one-row product.
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

/** Column sums of dz's ROWS x UNITS values at `offset` in rows of `ld`, in float32, row after row. */
function columnSums(dz: ArrayLike<number>, offset: number, ld: number): Float32Array {
  const sums = new Float32Array(UNITS);
  for (let r = 0; r < ROWS; r++) for (let j = 0; j < UNITS; j++) sums[j] = sums[j]! + dz[offset + r * ld + j]!;
  return sums;
}

for (const activation of ["relu", "linear"] as const) {
  for (const bias of [true, false]) {
    for (const placed of [false, true]) {
      const c: Case = { activation, bias, placed };
      const name = `${activation}${bias ? " with bias" : ""}${placed ? ", written into a concatenation" : ""}`;
      test(`Dense ${name}: the SIMD kernels give the JavaScript loops' values, gradients and weight gradients bit for bit`, () => {
        const simd = run(true, c);
        const plain = run(false, c);
        const [forward, dz, dKernel, dBias, dx] = simd.arrays;
        const plainArrays = plain.arrays;
        assertSameBits([forward!, dz!, dKernel!, dx!], [plainArrays[0]!, plainArrays[1]!, plainArrays[2]!, plainArrays[4]!], name);
        if (bias) {
          assertSameBits([dBias!], [columnSums(dz!, placed ? OFFSET : 0, placed ? CONCAT : UNITS)], `${name}: bias gradient`);
          Array.from(dBias!).forEach((v, j) => assert.ok(Math.abs(v - plainArrays[3]![j]!) <= 1e-6, `${name}: bias gradient ${j} near the product's`));
        }
        const forwardKernel = bias ? (activation === "relu" ? "biasRelu" : "bias") : activation === "relu" ? "relu" : undefined;
        const backwardKernel = activation === "relu" ? (bias ? "reluBackSum" : "reluBack") : bias ? "columnSum" : undefined;
        const expected = [forwardKernel, backwardKernel].filter((k) => k !== undefined);
        assert.deepEqual([...simd.calls.keys()].sort(), expected.sort(), "the SIMD path ran");
      });
    }
  }
}

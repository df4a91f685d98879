/**
 * The fused step with its Bufs in a SIMD arena and the SIMD kernels
 * (src/runtime/fused/simd.ts) trains as the same step on its JavaScript loops
 * (MTL_FUSED_SIMD=off): the same per-step losses and scores, and every
 * weight, Adam slot and table slot after a few steps, within 1e-5 (the
 * mixes sum in float32 four columns at a time, the loops in double; measured
 * within 1e-6); on an MMoE (two gates over one stack: the paired mix), a
 * one-gate MoE, PLE and ESMM, the benchmarks' recsys specs among them, and a
 * model of odd widths, with
 * batches that make the arena grow after its first layout, and past what
 * its memory can hold (the step then goes on in JavaScript arrays).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../../src/runtime/backend/select.js";
import { SimdArena } from "../../../src/runtime/fused/arena.js";
import { createFusedTrainStep } from "../../../src/runtime/fused/step.js";
import { buildModel } from "../../../src/runtime/graph/build-model.js";
import { createTrainStep } from "../../../src/runtime/graph/train-step.js";
import { fusedBlas } from "../../../src/runtime/fused/support.js";
import { assertLossesClose, assertStatesClose, gatesIR, oddWidthsIR, randomBatch, specFiles, specIR, twins } from "./fixtures.js";
import type { ValidIR } from "../../../src/ir/types.js";
import { smallArena } from "./ops.js";

before(async () => {
  await selectBackend("wasm");
});
after(() => selectBackend("cpu"));

/** Relative; the fused step against TF.js's (fixtures.ts TOLERANCE) is 20 times looser. */
const TOLERANCE = 1e-5;

const spec = (name: string) => () => specIR(specFiles().find((s) => s.name === name)!.path);
const SPECS: [string, () => ValidIR][] = [
  ...["specs/mmoe.mtl", "specs/omoe.mtl", "specs/ple.mtl", "specs/esmm.mtl", "bench/train/specs/recsys-mmoe.mtl", "bench/train/specs/recsys-esmm.mtl"].map((name): [string, () => ValidIR] => [name, spec(name)]),
  // Every width with a tail after the vectors, experts at offsets that are no multiple of four in the stack.
  ["odd widths", oddWidthsIR],
  // Relu experts under four gates (two pairs over one stack, each adding to its gradient: no relu in the mix).
  ["four gates", () => gatesIR(4)],
];

/** Arena layouts made since the last reset: the SIMD step lays its Bufs out there, the JavaScript one never. */
let layouts = 0;
const layout = SimdArena.prototype.layout;
SimdArena.prototype.layout = function (this: SimdArena, floats: readonly number[]) {
  layouts++;
  return layout.call(this, floats);
};

for (const [name, irOf] of SPECS) {
  test(`${name}: fused steps with the SIMD kernels train as the steps on the JavaScript loops`, async () => {
    const ir = irOf();
    const [a, b] = twins(ir);
    const blas = fusedBlas()!;
    const loops = createFusedTrainStep(a, blas, false);
    layouts = 0;
    const simd = createFusedTrainStep(b, blas, true);
    // A small batch, then full ones (the arena grows and every Buf moves), then a ragged one.
    const full = Math.min(ir.train.batch, 256);
    const sizes = [5, full, full, Math.floor(full / 3)];
    sizes.forEach((size, s) => {
      const batch = randomBatch(ir, size, 200 + s);
      const want = loops.runEncoded!(batch, { scores: true });
      const before = layouts;
      const got = simd.runEncoded!(batch, { scores: true });
      if (s < 2) assert.equal(layouts, before + 1, "the SIMD step laid its Bufs out in the arena for a larger batch");
      assertLossesClose(got, want, `${name} step ${s + 1}`, TOLERANCE);
    });
    assert.equal(layouts, 2, "one layout per batch size that grew the buffers");
    assertStatesClose(await simd.exportState(), await loops.exportState(), name, TOLERANCE);
    loops.dispose();
    simd.dispose();
    tf.disposeVariables();
  });
}

test("a batch past what the arena's memory can hold: the step goes on in JavaScript arrays and trains as the loops do", async () => {
  const ir = spec("specs/mmoe.mtl")();
  const [a, b] = twins(ir);
  const blas = fusedBlas()!;
  const loops = createFusedTrainStep(a, blas, false);
  const { arena, outcomes } = smallArena(2);
  const simd = createFusedTrainStep(b, blas, arena);
  [5, 256, 100].forEach((size, s) => {
    const batch = randomBatch(ir, size, 300 + s);
    assertLossesClose(simd.runEncoded!(batch, { scores: true }), loops.runEncoded!(batch, { scores: true }), `step ${s + 1}`, TOLERANCE);
  });
  assert.deepEqual(outcomes, [true, false], "5 rows fit in two pages, 256 do not");
  assertStatesClose(await simd.exportState(), await loops.exportState(), "mmoe", TOLERANCE);
  loops.dispose();
  simd.dispose();
  tf.disposeVariables();
});

test("MTL_FUSED_SIMD=off: createTrainStep's fused step keeps its Bufs in JavaScript arrays; unset, in the arena", () => {
  const ir = spec("specs/omoe.mtl")();
  const setting = process.env["MTL_FUSED_SIMD"];
  try {
    for (const [value, expected] of [["off", 0], [undefined, 1]] as const) {
      if (value === undefined) delete process.env["MTL_FUSED_SIMD"];
      else process.env["MTL_FUSED_SIMD"] = value;
      const step = createTrainStep(buildModel(ir));
      assert.equal(step.engine, "fused");
      layouts = 0;
      step.runEncoded!(randomBatch(ir, 16, 1));
      assert.equal(layouts, expected, `MTL_FUSED_SIMD=${value ?? "(unset)"}`);
      step.dispose();
    }
  } finally {
    if (setting === undefined) delete process.env["MTL_FUSED_SIMD"];
    else process.env["MTL_FUSED_SIMD"] = setting;
    tf.disposeVariables();
  }
});

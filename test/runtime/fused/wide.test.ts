/**
 * Wide products (src/runtime/fused/wide.ts): which Dense layers the fused
 * program runs as one product, and that steps with them train to the same
 * bits as steps where each layer runs its own products (the default;
 * MTL_FUSED_WIDE=on runs them):
 * every weight, Adam slot and table slot after several steps, on the
 * benchmarks' recsys-MMoE and recsys-ESMM, on layers of different widths,
 * with batches too small for a native product (each layer its own then) and
 * with an arena too small for the packed kernels.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../../src/runtime/backend/select.js";
import { buildModel } from "../../../src/runtime/graph/build-model.js";
import { createTrainStep } from "../../../src/runtime/graph/train-step.js";
import { gemmOn } from "../../../src/runtime/fused/gemm.js";
import { Program } from "../../../src/runtime/fused/program.js";
import { createFusedTrainStep } from "../../../src/runtime/fused/step.js";
import { fusedBlas } from "../../../src/runtime/fused/support.js";
import { WideDense } from "../../../src/runtime/fused/wide.js";
import type { ValidIR } from "../../../src/ir/types.js";
import { assertSameStateBits, compiled, oddWidthsIR, randomBatch, specFiles, specIR, twins } from "./fixtures.js";
import { arena, smallArena } from "./ops.js";

before(async () => {
  await selectBackend("wasm");
});
after(() => selectBackend("cpu"));

const spec = (name: string) => () => specIR(specFiles().find((s) => s.name === name)!.path);

/** Three towers on one input: widths 24, 40 and 9 (no multiple of four), the last a linear layer; a fourth reads the input through a sigmoid layer. */
function mixedWidthsIR(): ValidIR {
  const text = `model mixed "towers of different widths"
feature price : numeric(normalize: zscore)
feature user_id : categorical(buckets: 50, dim: 8)
feature item_id : categorical(buckets: 60, dim: 12)
input x = concat(*)
tower a = mlp(x, [24, 6])
tower b = mlp(x, [40, 5])
tower c = mlp(x, [9, 3], activation: linear)
tower d = mlp(x, [10], activation: sigmoid)
task ta : binary = a label click
task tb : binary = b label purchase
task tc : regression = c label price_label
task td : binary = d label view
train {
  optimizer: adam(lr: 0.01)
  batch: 64
  epochs: 1
  seed: 7
}
`;
  return compiled(text, "mixed.mtl");
}

function programOf(ir: ValidIR, wide = true, simd = true): Program {
  const built = buildModel(ir);
  return new Program({ ir, plan: built.plan, model: built.trainingModel }, gemmOn(fusedBlas()!), simd, wide);
}

const experts = (n: number) => Array.from({ length: n }, (_, i) => `expert_e_${i}_dense_0`);

test("recsys-MMoE: the eight experts' first layers are one wide product on the input; recsys-ESMM: the two towers' first layers", () => {
  assert.deepEqual(programOf(spec("bench/train/specs/recsys-mmoe.mtl")()).wideProducts(), [{ input: "concat_x", layers: experts(8) }]);
  assert.deepEqual(programOf(spec("bench/train/specs/recsys-esmm.mtl")()).wideProducts(), [
    { input: "concat_x", layers: ["tower_ctr_tower_dense_0", "tower_cvr_tower_dense_0"] },
  ]);
  tf.disposeVariables();
});

test("no wide product where it must not apply: softmax gates, one-layer experts written into the stack, outputs a dropout reads; nor off, nor without the arena", () => {
  // The gates (softmax) read the input too; so does the sigmoid tower d.
  assert.deepEqual(programOf(mixedWidthsIR()).wideProducts(), [{ input: "concat_x", layers: ["tower_a_dense_0", "tower_b_dense_0", "tower_c_dense_0"] }]);
  // Two-layer experts widen; experts of one layer write into the gates' stack instead (placeParts): nothing to widen.
  assert.deepEqual(programOf(oddWidthsIR()).wideProducts(), [{ input: "concat_x", layers: experts(5) }]);
  assert.deepEqual(programOf(spec("specs/mmoe.mtl")()).wideProducts(), []);
  // esmm-mmoe-gmv: a dropout reads each expert's relu layer.
  assert.ok(programOf(spec("specs/esmm-mmoe-gmv.mtl")()).wideProducts().every((w) => !w.layers.some((l) => l.startsWith("expert"))));
  const recsys = spec("bench/train/specs/recsys-mmoe.mtl")();
  assert.deepEqual(programOf(recsys, false).wideProducts(), []);
  assert.deepEqual(programOf(recsys, true, false).wideProducts(), []);
  tf.disposeVariables();
});

/** Counts the wide products that ran (forward with `on`) from now on. */
function countWide(): { runs: number; restore(): void } {
  const counter = { runs: 0, restore: () => (WideDense.prototype.forward = forward) };
  const forward = WideDense.prototype.forward;
  WideDense.prototype.forward = function (this: WideDense, rows: number) {
    forward.call(this, rows);
    if (this.on) counter.runs++;
  };
  return counter;
}

const CASES: [string, () => ValidIR, number[]][] = [
  ["bench/train/specs/recsys-mmoe.mtl", spec("bench/train/specs/recsys-mmoe.mtl"), [64, 64, 23]],
  ["bench/train/specs/recsys-esmm.mtl", spec("bench/train/specs/recsys-esmm.mtl"), [64, 64, 23]],
  // One row: 1 x 24 x 21 multiply-adds is no native product (gemm.ts), so each layer runs its own that step.
  ["towers of different widths", mixedWidthsIR, [64, 1, 64, 23]],
  // Experts of 7 on an input of 9: 32 rows are no native product (each its own), 320 and 70 are.
  ["odd widths", oddWidthsIR, [320, 32, 320, 70]],
];

for (const [name, irOf, sizes] of CASES) {
  test(`${name}: steps with the wide product train to the bits of each layer's own products`, async () => {
    const ir = irOf();
    const [a, b] = twins(ir);
    const blas = fusedBlas()!;
    const counter = countWide();
    try {
      const wide = createFusedTrainStep(a, blas, arena(), true);
      const narrow = createFusedTrainStep(b, blas, arena(), false);
      sizes.forEach((size, s) => {
        const batch = randomBatch(ir, size, 700 + s);
        const [got, want] = [wide.runEncoded!(batch, { scores: true }), narrow.runEncoded!(batch, { scores: true })];
        assert.deepEqual(got, want, `step ${s + 1}: losses and scores, bit for bit`);
      });
      const native = sizes.filter((n) => n !== 1 && n !== 32).length;
      assert.equal(counter.runs, native, "the wide product ran at every step but those too small for a native product");
      await assertSameStateBits(wide, narrow);
    } finally {
      counter.restore();
    }
  });
}

test("an arena too small for the batch: the layers run their own products into the wide output's columns, to the same bits", async () => {
  const ir = oddWidthsIR();
  const [a, b] = twins(ir);
  const blas = fusedBlas()!;
  // Both twins in arenas of two pages (past that, both on JavaScript arrays and loops).
  const [small, twin] = [smallArena(2), smallArena(2)];
  const counter = countWide();
  try {
    const wide = createFusedTrainStep(a, blas, small.arena, true);
    const narrow = createFusedTrainStep(b, blas, twin.arena, false);
    [40, 2000, 100].forEach((size, s) => {
      const batch = randomBatch(ir, size, 300 + s);
      const [got, want] = [wide.runEncoded!(batch, { scores: true }), narrow.runEncoded!(batch, { scores: true })];
      assert.deepEqual(got.total, want.total, `step ${s + 1}`);
    });
    assert.deepEqual(small.outcomes, [true, false], "40 rows fit in two pages, 2,000 do not");
    assert.equal(counter.runs, 1, "only the 40-row step ran the wide product (in the arena)");
    await assertSameStateBits(wide, narrow);
  } finally {
    counter.restore();
  }
});

test("MTL_FUSED_WIDE=on: createTrainStep's fused step runs the wide product; unset or off, none", () => {
  const ir = oddWidthsIR();
  const setting = process.env["MTL_FUSED_WIDE"];
  const counter = countWide();
  try {
    for (const [value, expected] of [["on", 1], ["off", 0], [undefined, 0]] as const) {
      if (value === undefined) delete process.env["MTL_FUSED_WIDE"];
      else process.env["MTL_FUSED_WIDE"] = value;
      const step = createTrainStep(buildModel(ir));
      counter.runs = 0;
      step.runEncoded!(randomBatch(ir, 64, 1));
      assert.equal(counter.runs, expected, `MTL_FUSED_WIDE=${value ?? "(unset)"}`);
      step.dispose();
    }
  } finally {
    counter.restore();
    if (setting === undefined) delete process.env["MTL_FUSED_WIDE"];
    else process.env["MTL_FUSED_WIDE"] = setting;
    tf.disposeVariables();
  }
});

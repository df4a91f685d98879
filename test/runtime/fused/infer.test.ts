/**
 * The inference program (src/runtime/fused/infer.ts) on its JavaScript loops
 * (no SIMD) predicts what TF.js's layers predict, on every spec it supports,
 * for a batch smaller than one before it (buffers reused); it writes
 * concatenations in place (only a batch's own numbers are copied); and an id outside its
 * table is the plain path's error, not a clamped row.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../../src/runtime/backend/select.js";
import { buildModel } from "../../../src/runtime/graph/build-model.js";
import { predictTasks } from "../../../src/runtime/graph/forward.js";
import { gemmOn } from "../../../src/runtime/fused/gemm.js";
import { InferenceProgram } from "../../../src/runtime/fused/infer.js";
import type { SimdArena } from "../../../src/runtime/fused/arena.js";
import { smallArena } from "./ops.js";
import { fusedBlas, fusedUnsupported } from "../../../src/runtime/fused/support.js";
import { featureTensors } from "../../../src/train/tensors.js";
import type { ValidIR } from "../../../src/ir/types.js";
import { assertClose } from "../graph/fixtures.js";
import { oddWidthsIR, randomBatch, specFiles, specIR } from "./fixtures.js";

before(() => selectBackend("wasm"));
after(() => selectBackend("cpu"));

function program(ir: ValidIR, simd: boolean | SimdArena) {
  const built = buildModel(ir);
  const plain = buildModel(ir, built.plan, { plain: true });
  plain.model.setWeights(built.model.getWeights());
  return { built, plain, program: new InferenceProgram(ir, built.plan, built.model, gemmOn(fusedBlas()!), simd) };
}

/** One program run on batches of `sizes` rows in turn (its buffers reused) predicts what the plain TF.js model does, within 1e-5. */
function assertPredictsAsTfjs(ir: ValidIR, simd: boolean | SimdArena, sizes: number[], what: string): void {
  const { plain, program: p } = program(ir, simd);
  for (const size of sizes) {
    const batch = randomBatch(ir, size, size);
    p.run(size, batch.features);
    const inputs = featureTensors(ir, batch);
    const want = predictTasks(plain.model, inputs);
    for (const task of ir.tasks) assertClose(p.outputs[task.name]!.view.subarray(0, size), want[task.name]!.dataSync(), 1e-5, `${what} ${task.name} at ${size} rows`);
    tf.dispose([inputs, want]);
  }
}

for (const spec of specFiles()) {
  const ir = specIR(spec.path);
  if (fusedUnsupported(ir, buildModel(ir).plan, { inference: true, env: {} }).length > 0) continue;
  test(`${spec.name}: the JavaScript loops predict what TF.js's layers predict (1e-5), a smaller batch after a larger one too`, () => {
    assertPredictsAsTfjs(ir, false, [300, 37], spec.name);
    tf.disposeVariables();
  });
}

test("odd widths (scalar tails, 4-byte-aligned rows): with and without SIMD, what TF.js's layers predict", () => {
  const ir = oddWidthsIR();
  for (const simd of [true, false]) assertPredictsAsTfjs(ir, simd, [41, 6], simd ? "odd" : "odd without SIMD");
  tf.disposeVariables();
});

test("a batch too large for the SIMD arena's memory runs on JavaScript arrays, still what TF.js's layers predict, and so does a smaller batch after it", () => {
  const { arena, outcomes } = smallArena(1);
  assertPredictsAsTfjs(oddWidthsIR(), arena, [6, 3000, 6], "odd in a one-page arena");
  assert.deepEqual(outcomes, [true, false], "6 rows fit in the page, 3,000 do not");
  tf.disposeVariables();
});

test("embeddings are gathered into the first layers' input and experts written into the gates' stack: only the batch's numbers are copied", () => {
  for (const name of ["bench/train/specs/recsys-mmoe.mtl", "bench/train/specs/recsys-esmm.mtl", "specs/mmoe.mtl"]) {
    const ir = specIR(specFiles().find((s) => s.name === name)!.path);
    for (const simd of [true, false]) {
      const { built, program: p } = program(ir, simd);
      const numbers = built.plan.inputs.filter((i) => i.dtype === "float32").map((i) => i.name);
      assert.deepEqual(p.copiedParts(), numbers, `${name}${simd ? "" : " without SIMD"}`);
    }
  }
  tf.disposeVariables();
});

test("an id outside its table fails, it is not clamped: the program names the id and the table's size, predictTasks the feature too", () => {
  const ir = specIR(specFiles().find((s) => s.name === "bench/train/specs/recsys-mmoe.mtl")!.path);
  const { built, plain, program: p } = program(ir, true);
  const batch = randomBatch(ir, 5, 1);
  const rows = ir.tables[0]!.rows;
  const feature = Object.keys(batch.features)[0]!;
  const ids = batch.features[feature] as Int32Array;
  for (const bad of [rows, -1]) {
    ids[3] = bad;
    assert.throws(() => p.run(5, batch.features), { name: "IdOutsideTableError", message: `the id ${bad} is outside an embedding table of ${rows} rows (ids 0 to ${rows - 1})` });
    const inputs = featureTensors(ir, batch);
    assert.throws(() => predictTasks(built.model, inputs), { name: "IdOutsideTableError", message: new RegExp(`^feature '${feature}' has the id ${bad}, outside its embedding table`) });
    // A model TF.js alone knows (no IR registered with it): its gather's own error.
    assert.throws(() => predictTasks(plain.model, inputs), { message: `GatherV2: the index value ${bad} is not in [0, ${rows - 1}]` });
    tf.dispose(inputs);
  }
  tf.disposeVariables();
});

test("rows that repeat a gathered part (a request's user features): the first layers' products split, once over the repeated columns, what TF.js's layers predict (1e-5)", () => {
  const ir = specIR(specFiles().find((s) => s.name === "bench/train/specs/recsys-mmoe.mtl")!.path);
  const names = [...Array.from({ length: 13 }, (_, i) => `user${i + 1}`), ...Array.from({ length: 13 }, (_, i) => `item${i + 1}`)];
  // Which features repeat one id through the batch, and how many products split (8 experts' first layers and 2 gates read the concatenation, 416 wide).
  const cases: { what: string; repeat: string[]; splits: number }[] = [
    { what: "the 13 user features (a leading block)", repeat: names.slice(0, 13), splits: 10 },
    { what: "the 13 item features (a trailing block)", repeat: names.slice(13), splits: 10 },
    { what: "a middle block (two varying ranges)", repeat: names.slice(7, 19), splits: 10 },
    { what: "every feature (no varying column)", repeat: names, splits: 10 },
    { what: "nothing", repeat: [], splits: 0 },
    { what: "3 features (48 of 416 columns, under an eighth)", repeat: names.slice(0, 3), splits: 0 },
    { what: "two blocks apart (three varying ranges)", repeat: [...names.slice(1, 5), ...names.slice(8, 12)], splits: 0 },
  ];
  // SIMD, the JavaScript loops, and SIMD kernels whose one-page arena holds no batch (the tensors in JavaScript arrays).
  const small = smallArena(1);
  for (const [simd, how] of [[true, ""], [false, " without SIMD"], [small.arena, " outside a full arena"]] as const) {
    const { plain, program: p } = program(ir, simd);
    for (const [i, { what, repeat, splits }] of cases.entries()) {
      const size = 40 + i;
      const batch = randomBatch(ir, size, 100 + i);
      for (const name of repeat) (batch.features[name] as Int32Array).fill((batch.features[name] as Int32Array)[0]!);
      p.run(size, batch.features);
      const label = `${what}${how}`;
      assert.equal(p.splitProducts(), splits, label);
      const inputs = featureTensors(ir, batch);
      const want = predictTasks(plain.model, inputs);
      for (const task of ir.tasks) assertClose(p.outputs[task.name]!.view.subarray(0, size), want[task.name]!.dataSync(), 1e-5, `${label} ${task.name}`);
      tf.dispose([inputs, want]);
    }
  }
  assert.ok(small.outcomes.length > 0 && small.outcomes.every((fits) => !fits), "no batch fit the one-page arena");
  tf.disposeVariables();
});

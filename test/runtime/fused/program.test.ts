/**
 * How the fused program lays out concatenations (program.ts placeParts):
 * lookups and relu/linear Dense layers that only a concatenation reads write
 * straight into its columns, an MMoE's gates share one stack of the experts,
 * and a part anything else reads is still copied. agreement.test.ts proves
 * the steps of every spec agree with the plain path; this proves those specs
 * take the placed paths it is meant to cover, and which gates' mixes the
 * SIMD program pairs.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { selectBackend } from "../../../src/runtime/backend/select.js";
import { buildModel } from "../../../src/runtime/graph/build-model.js";
import { gemmOn } from "../../../src/runtime/fused/gemm.js";
import { Program } from "../../../src/runtime/fused/program.js";
import { fusedBlas } from "../../../src/runtime/fused/support.js";
import { specFiles, specIR } from "./fixtures.js";

before(async () => {
  await selectBackend("wasm");
});
after(() => selectBackend("cpu"));

function program(spec: string, simd = true) {
  const ir = specIR(specFiles().find((s) => s.name === spec)!.path);
  const built = buildModel(ir);
  return new Program({ ir, plan: built.plan, model: built.trainingModel }, gemmOn(fusedBlas()!), simd);
}

const concatenations = (spec: string) => program(spec).concatenations();

test("recsys-MMoE: the 26 lookups gather into the input, the experts write into one stack both gates read", () => {
  assert.deepEqual(concatenations("bench/train/specs/recsys-mmoe.mtl"), [
    { name: "concat_x", parts: 26, placed: 26 },
    { name: "gate_g_ctr_stack", parts: 8, placed: 8 },
  ]);
});

test("recsys-ESMM: the lookups gather into the input both towers read", () => {
  assert.deepEqual(concatenations("bench/train/specs/recsys-esmm.mtl"), [{ name: "concat_x", parts: 26, placed: 26 }]);
});

test("a part another layer also reads is copied, beside placed parts of the same concatenation", () => {
  // census-MMoE: 32 lookups and one numeric block (the batch's own array) in the input.
  assert.deepEqual(concatenations("specs/census-mmoe.mtl")[0], { name: "concat_x", parts: 33, placed: 32 });
  // PLE: shared experts feed several gates' stacks; only each level-2 gate's own task experts are placed.
  const ple = concatenations("specs/ple.mtl");
  assert.deepEqual(
    ple.map((c) => c.placed),
    [3, 0, 0, 0, 2, 2],
  );
  assert.ok(ple.every((c) => c.placed < c.parts));
});

test("with SIMD, an MMoE's two gates over one stack mix in one pass (paired); a one-gate MoE's gate, and PLE's, alone", () => {
  assert.deepEqual(program("bench/train/specs/recsys-mmoe.mtl").mixes(), [{ stack: "gate_g_ctr_stack", paired: true }]);
  assert.deepEqual(program("specs/omoe.mtl").mixes(), [{ stack: "gate_g_stack", paired: false }]);
  assert.ok(program("specs/ple.mtl").mixes().every((m) => !m.paired));
  const loops = program("bench/train/specs/recsys-mmoe.mtl", false);
  assert.equal(loops.simd, false);
  assert.deepEqual(loops.mixes(), [
    { stack: "gate_g_ctr_stack", paired: false },
    { stack: "gate_g_ctr_stack", paired: false },
  ]);
  assert.equal(program("specs/esmm.mtl").simd, true, "Node runs WebAssembly SIMD");
});

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
import { createFusedTrainStep } from "../../../src/runtime/fused/step.js";
import type { ValidIR } from "../../../src/ir/types.js";
import { assertSameStateBits, gatesIR, oddWidthsIR, randomBatch, specFiles, specIR, twins } from "./fixtures.js";
import { arena, countCalls } from "./ops.js";

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
  assert.deepEqual(program("bench/train/specs/recsys-mmoe.mtl").mixes(), [{ stack: "gate_g_ctr_stack", paired: true, relu: true }]);
  assert.deepEqual(program("specs/omoe.mtl").mixes(), [{ stack: "gate_g_stack", paired: false, relu: false }]);
  assert.ok(program("specs/ple.mtl").mixes().every((m) => !m.paired));
  const loops = program("bench/train/specs/recsys-mmoe.mtl", false);
  assert.equal(loops.simd, false);
  assert.deepEqual(loops.mixes(), [
    { stack: "gate_g_ctr_stack", paired: false, relu: false },
    { stack: "gate_g_ctr_stack", paired: false, relu: false },
  ]);
  assert.equal(program("specs/esmm.mtl").simd, true, "Node runs WebAssembly SIMD");
});

const programOf = (ir: ValidIR) => {
  const built = buildModel(ir);
  return new Program({ ir, plan: built.plan, model: built.trainingModel }, gemmOn(fusedBlas()!), true);
};

test("the paired mix does the experts' relu backward only where every expert's last layer is a relu written into the stack, and the pair alone reads it", () => {
  // mmoe: relu experts; esmm-mmoe-gmv: relu then dropout (the dropout's output, copied, is the stack's part).
  assert.deepEqual(program("specs/mmoe.mtl").mixes(), [{ stack: "gate_g_ctr_stack", paired: true, relu: true }]);
  assert.ok(program("specs/esmm-mmoe-gmv.mtl").mixes().every((m) => !m.relu));
  // Three gates (a pair and one alone) or four (two pairs) add to the stack's gradient after a pair: no relu in the mix.
  assert.deepEqual(programOf(gatesIR(2)).mixes().map((m) => [m.paired, m.relu]), [[true, true]]);
  assert.deepEqual(programOf(gatesIR(3)).mixes().map((m) => [m.paired, m.relu]), [[true, false], [false, false]]);
  assert.deepEqual(programOf(gatesIR(4)).mixes().map((m) => [m.paired, m.relu]), [[true, false], [true, false]]);
});

const RELU_STACK_SPECS: [string, () => ValidIR][] = [
  ...["bench/train/specs/recsys-mmoe.mtl", "specs/mmoe.mtl"].map((name): [string, () => ValidIR] => [name, () => specIR(specFiles().find((s) => s.name === name)!.path)]),
  // Experts of 6 (a scalar tail per expert) at offsets no multiple of four.
  ["odd widths", oddWidthsIR],
];

for (const [spec, irOf] of RELU_STACK_SPECS) {
  test(`${spec}: the experts' relu backward and bias sums in the gates' mix backward train to the bits of the experts' own passes`, async () => {
    const ir = irOf();
    const [a, b] = twins(ir);
    const blas = fusedBlas()!;
    const [inMix, apart] = [arena(), arena()];
    const [mixCalls, apartCalls] = [countCalls(inMix), countCalls(apart)];
    const withStack = createFusedTrainStep(a, blas, inMix);
    // The same program without its ReluStack: each expert runs its own relu backward (reluBackSum).
    const reluStackOf = Object.getOwnPropertyDescriptor(Program.prototype, "reluStackOf")!;
    Object.defineProperty(Program.prototype, "reluStackOf", { ...reluStackOf, value: () => undefined });
    let without;
    try {
      without = createFusedTrainStep(b, blas, apart);
    } finally {
      Object.defineProperty(Program.prototype, "reluStackOf", reluStackOf);
    }
    for (const [s, size] of [64, 64, 23].entries()) {
      const batch = randomBatch(ir, size, 400 + s);
      assert.equal(withStack.runEncoded!(batch).total, without.runEncoded!(batch).total, `step ${s + 1}`);
    }
    assert.ok((mixCalls.get("mix2BackRelu") ?? 0) > 0 && !apartCalls.has("mix2BackRelu"), "only the first ran the relu in the mix");
    assert.ok((apartCalls.get("reluBackSum") ?? 0) > (mixCalls.get("reluBackSum") ?? 0), "the experts' own passes ran in the second only");
    await assertSameStateBits(withStack, without);
  });
}

/**
 * The fused step (src/runtime/fused) computes what the plain TF.js step
 * computes: for every example spec it supports, STEPS steps from the same
 * weights on the same batches give the same per-step losses and scores and
 * leave every weight, Adam slot and sparse table slot the same within float
 * rounding; table rows no batch read stay bit-identical. The specs the
 * benchmarks and the issues name must be fused: a silent fallback fails.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../../src/runtime/backend/select.js";
import { buildModel } from "../../../src/runtime/graph/build-model.js";
import { createTrainStep } from "../../../src/runtime/graph/train-step.js";
import { fusedUnsupported } from "../../../src/runtime/fused/support.js";
import type { ValidIR } from "../../../src/ir/types.js";
import { assertLossesClose, assertStatesClose, plainRun, randomBatch, specFiles, specIR, twins } from "./fixtures.js";

const STEPS = 4;

/** Must be fused wherever a native BLAS is present. */
const MUST_FUSE = [
  "specs/census-mmoe.mtl",
  "specs/esmm.mtl",
  "specs/esmm-mmoe-gmv.mtl",
  "specs/esmm-weighted.mtl",
  "specs/mmoe.mtl",
  "specs/omoe.mtl",
  "specs/ple.mtl",
  "specs/shared-bottom.mtl",
  "bench/train/specs/dense-mmoe.mtl",
  "bench/train/specs/recsys-esmm.mtl",
  "bench/train/specs/recsys-mmoe.mtl",
  "bench/train/specs/synthetic-mmoe.mtl",
];

before(async () => {
  await selectBackend("wasm");
});
after(() => selectBackend("cpu"));

const SPECS = specFiles();

/** STEPS steps of the fused and the plain step from the same weights on the same batches agree. */
async function assertAgree(ir: ValidIR, name: string): Promise<void> {
  const [a, b] = twins(ir);
  const plain = createTrainStep(a, { fused: false });
  const fused = createTrainStep(b);
  assert.match(plain.engine, /^plain \(the plain step was asked for/);
  assert.equal(fused.engine, "fused");
  const before = await fused.exportState();
  for (let s = 0; s < STEPS; s++) {
    // A small batch first, so that the buffers grow for the full ones after it; a ragged one last.
    const size = s === 0 ? 5 : s === STEPS - 1 ? Math.max(1, Math.floor(ir.train.batch / 3)) : Math.min(ir.train.batch, 256);
    const batch = randomBatch(ir, size, 100 + s);
    const p = plainRun(plain, ir, batch);
    const f = fused.runEncoded!(batch, { scores: true });
    assertLossesClose(f, p, `${name} step ${s + 1}`);
  }
  const [fs, ps] = [await fused.exportState(), await plain.exportState()];
  assertStatesClose(fs, ps, name);
  // Untouched rows: exactly as they started (ids above a tenth of a table are never drawn).
  for (const table of ir.tables) {
    const weight = `emb_${table.name}/embeddings`;
    const start = before.weights.find((w) => w.name === weight)!.values;
    const end = fs.weights.find((w) => w.name === weight)!.values;
    const firstUnread = Math.max(1, Math.floor(table.rows / 10)) * table.dim;
    assert.deepEqual(end.subarray(firstUnread), start.subarray(firstUnread), `untouched rows of ${table.name}`);
  }
  plain.dispose();
  fused.dispose();
  tf.disposeVariables();
}

for (const spec of SPECS) {
  const ir = specIR(spec.path);
  const reasons = fusedUnsupported(ir, buildModel(ir).plan);
  test(`${spec.name}: ${reasons.length === 0 ? `${STEPS} fused steps agree with the plain path` : `falls back (${reasons.join("; ")})`}`, async () => {
    if (reasons.length > 0) {
      const step = createTrainStep(buildModel(ir));
      assert.equal(step.engine, `plain (${reasons[0]})`);
      step.dispose();
      return;
    }
    await assertAgree(ir, spec.name);
  });
}

for (const activation of ["tanh", "sigmoid", "elu", "selu", "swish", "linear"] as const) {
  test(`mmoe.mtl with ${activation} experts and train.l2 0.01: the fused steps agree with the plain path`, async () => {
    const ir = specIR(SPECS.find((s) => s.name === "specs/mmoe.mtl")!.path);
    const experts = ir.nodes.find((n) => n.op === "mlp")!;
    if (experts.op === "mlp") experts.activation = activation;
    ir.train.l2 = 0.01;
    await assertAgree(ir, `mmoe (${activation}, l2)`);
  });
}

test("the specs the benchmarks and issues name are fused", () => {
  const specs = specFiles();
  for (const name of MUST_FUSE) {
    const spec = specs.find((s) => s.name === name);
    assert.ok(spec !== undefined, `no spec ${name}`);
    const ir = specIR(spec.path);
    assert.deepEqual(fusedUnsupported(ir, buildModel(ir).plan), [], name);
  }
});

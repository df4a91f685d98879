import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { compileSource } from "../../../src/compiler.js";
import type { ValidIR } from "../../../src/ir/types.js";
import { selectBackend } from "../../../src/runtime/backend/select.js";
import { buildModel } from "../../../src/runtime/graph/build-model.js";
import { ModelTooLargeError } from "../../../src/errors.js";
import { assertModelFits, modelSize } from "../../../src/runtime/graph/model-size.js";
import { exampleSpecs } from "../../helpers/paths.js";

function irOf(text: string, file: string): ValidIR {
  const result = compileSource(text, file);
  assert.ok(result.ir, result.diagnostics.map((d) => d.message).join("\n"));
  return result.ir;
}

test("the size computed from the IR is the built model's parameter count, for every example spec", async () => {
  await selectBackend("cpu");
  for (const file of exampleSpecs()) {
    const ir = irOf(readFileSync(file, "utf8"), file);
    const built = buildModel(ir);
    const size = modelSize(ir);
    assert.equal(size.embedding + size.dense, built.model.countParams(), file);
    assert.equal(size.embedding, ir.tables.reduce((n, t) => n + t.rows * t.dim, 0), file);
    built.model.dispose();
  }
});

const HUGE = `model huge
feature C[26] : categorical(buckets: 10_000_000, dim: 64)
input x = concat(*)
tower t = mlp(x, [8])
task ctr : binary = t label click
`;

test("on wasm, a model past the 4 GB heap is refused with its size, its largest table and the fix; a normal one passes", async () => {
  await selectBackend("wasm");
  const huge = irOf(HUGE, "huge.mtl");
  assert.throws(
    () => assertModelFits(huge, "predict"),
    (error: unknown) =>
      error instanceof ModelTooLargeError &&
      /model 'huge' needs about 66\.6 GB for its weights/.test(error.message) &&
      /16,640,000,000 embedding values in 26 tables; the largest 'C1' 10,000,000 x 64/.test(error.message) &&
      /fewer buckets or a smaller dim/.test(error.message),
  );
  // Training also holds Adam's two slots per weight.
  assert.throws(() => assertModelFits(huge, "train"), /about 199\.7 GB for its weights and adam's 2 slot/);
  const mmoe = irOf(readFileSync(exampleSpecs().find((f) => /[/\\]mmoe\.mtl$/.test(f))!, "utf8"), "mmoe.mtl");
  assert.doesNotThrow(() => assertModelFits(mmoe, "train"));
  // 320 million values fit for prediction (1.3 GB), not with Adam's two slots (3.8 GB, past the budget that leaves headroom).
  const edge = irOf(HUGE.replace("C[26]", "C[1]").replace("10_000_000", "5_000_000"), "edge.mtl");
  assert.doesNotThrow(() => assertModelFits(edge, "predict"));
  assert.throws(() => assertModelFits(edge, "train"), ModelTooLargeError);
  await selectBackend("cpu");
  assert.doesNotThrow(() => assertModelFits(huge, "train"), "only the wasm backend has a hard limit");
  assert.equal(tf.getBackend(), "cpu");
});

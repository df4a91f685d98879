/**
 * An id outside its embedding table, given to a training step through the
 * API, is refused on every path (fused, plain with sparse tables, plain with
 * dense tables) with one message naming the feature, the id and the table's
 * size, before any weight changes: the steps used to clamp it and silently
 * train the table's last or first row.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { compileSource } from "../../src/compiler.js";
import type { EncodedBatch } from "../../src/data/encode/index.js";
import type { ValidIR } from "../../src/ir/types.js";
import { selectBackend } from "../../src/runtime/backend/select.js";
import { createTrainStep, type TrainStep } from "../../src/runtime/graph/train-step.js";
import { buildModel } from "../../src/runtime/graph/build-model.js";
import { predictTasks } from "../../src/runtime/graph/forward.js";
import { featureTensors } from "../../src/train/tensors.js";
import { IdOutsideTableError } from "../../src/runtime/table-ids.js";
import { TableParam } from "../../src/runtime/fused/tables.js";
import { assertStatesClose, plainRun, randomBatch, specFiles, specIR, twins } from "./fused/fixtures.js";

before(async () => {
  await selectBackend("wasm");
});
after(() => selectBackend("cpu"));

const ENGINES = [
  { what: "the fused step", options: {} },
  { what: "the plain step, sparse tables", options: { fused: false } },
  { what: "the plain step, dense tables", options: { fused: false, sparse: false } },
] as const;

const run = (step: TrainStep, ir: ValidIR, batch: EncodedBatch) => (step.engine === "fused" ? step.runEncoded!(batch) : plainRun(step, ir, batch));

/** `batch` with row 5 of `feature` set to `id`. */
function withId(batch: EncodedBatch, feature: string, id: number): EncodedBatch {
  const ids = Int32Array.from(batch.features[feature] as Int32Array);
  ids[5] = id;
  return { ...batch, features: { ...batch.features, [feature]: ids } };
}

const message = (feature: string, id: number, table: string, rows: number) =>
  `feature '${feature}' has the id ${id}, outside its embedding table '${table}' of ${rows} rows (ids 0 to ${rows - 1}): ` +
  "encode the rows with the model's encoding (createEncoder), which maps every value into its table, or give the table more rows in the spec";

test("every training step refuses an id outside its table with the same message, leaves the weights as they were, and trains on", async () => {
  // mmoe.mtl: item_id's table cut to 2,000 rows by specIR.
  const ir = specIR(specFiles().find((s) => s.name === "specs/mmoe.mtl")!.path);
  const rows = ir.tables.find((t) => t.name === "item_id")!.rows;
  const good = randomBatch(ir, 64, 1);
  for (const { what, options } of ENGINES) {
    for (const id of [rows, -1, 2 ** 31 - 1, -(2 ** 31)]) {
      const [a, b] = twins(ir);
      const refused = createTrainStep(a, options);
      const reference = createTrainStep(b, options);
      assert.equal(refused.engine === "fused", what === "the fused step", what);
      assert.throws(
        () => run(refused, ir, withId(good, "item_id", id)),
        (error: unknown) => {
          assert.ok(error instanceof IdOutsideTableError, `${what}, id ${id}: got ${String(error)}`);
          assert.equal(error.message, message("item_id", id, "item_id", rows), `${what}, id ${id}`);
          return true;
        },
      );
      assert.equal(refused.steps, 0, `${what}, id ${id}: the refused batch counts no step`);
      // The refused batch changed nothing: the next step is the reference's first, exactly.
      run(refused, ir, good);
      run(reference, ir, good);
      const [x, y] = [await refused.exportState(), await reference.exportState()];
      assertStatesClose(x, y, `${what}, id ${id}`);
      x.weights.forEach((w, i) => assert.deepEqual(w.values, y.weights[i]!.values, `${what}, id ${id}: ${w.name} bit for bit`));
      refused.dispose();
      reference.dispose();
      tf.disposeVariables();
    }
  }
});

const SEQUENCE_SPEC = `model seq "a sequence on a shared table"
feature user_id : categorical(buckets: 50, dim: 4)
feature history : sequence(of: user_id, max_len: 3)
feature price   : numeric(normalize: zscore)
input x = concat(*)
tower t = mlp(x, [8])
task ctr : binary = t label click
train { batch: 8  seed: 1 }
`;

test("a sequence's padding (negative ids) trains as before; a sequence id outside the table is refused on both plain steps", () => {
  const ir = compileSource(SEQUENCE_SPEC, "seq.mtl").ir!;
  const batch = (history: number[]): EncodedBatch => ({
    size: 2,
    features: { user_id: Int32Array.of(3, 7), history: Int32Array.from(history), price: Float32Array.of(0.5, -1) },
    labels: { ctr: Float32Array.of(1, 0) },
    masks: {},
  });
  for (const { what, options } of ENGINES.slice(1)) {
    const step = createTrainStep(twins(ir)[0], options);
    run(step, ir, batch([1, 2, -1, 4, -1, -1]));
    assert.equal(step.steps, 1, what);
    assert.throws(() => run(step, ir, batch([1, 2, -1, 50, -1, -1])), { message: message("history", 50, "user_id", 50) }, what);
    step.dispose();
    tf.disposeVariables();
  }
});

/** The batch's rows: a categorical feature's ids count one per row. */
function rowsOf(ir: ValidIR, features: EncodedBatch["features"]): number {
  const categorical = ir.features.find((f) => f.kind === "categorical")!;
  return features[categorical.name]!.length;
}

/** predictTasks on `features` with MTL_FUSED_PREDICT set to `fused` ("on": the fused forward pass, "off": TF.js's layers). */
function predictWith(fused: "on" | "off", model: tf.LayersModel, ir: ValidIR, features: EncodedBatch["features"]): void {
  const saved = process.env["MTL_FUSED_PREDICT"];
  process.env["MTL_FUSED_PREDICT"] = fused;
  const inputs = featureTensors(ir, { size: rowsOf(ir, features), features });
  try {
    tf.dispose(predictTasks(model, inputs));
  } finally {
    tf.dispose(inputs);
    if (saved === undefined) delete process.env["MTL_FUSED_PREDICT"];
    else process.env["MTL_FUSED_PREDICT"] = saved;
  }
}

test("predictions refuse an id outside its table with the training steps' message, on the fused forward pass and on TF.js's layers", () => {
  const ir = specIR(specFiles().find((s) => s.name === "specs/mmoe.mtl")!.path);
  const rows = ir.tables.find((t) => t.name === "item_id")!.rows;
  const { model } = buildModel(ir);
  const good = randomBatch(ir, 16, 2).features;
  for (const fused of ["on", "off"] as const) {
    predictWith(fused, model, ir, good);
    for (const id of [rows, -1]) {
      const ids = Int32Array.from(good["item_id"] as Int32Array);
      ids[5] = id;
      assert.throws(() => predictWith(fused, model, ir, { ...good, item_id: ids }), { name: "IdOutsideTableError", message: message("item_id", id, "item_id", rows) }, `fused ${fused}, id ${id}`);
    }
  }
  tf.disposeVariables();
});

test("a prediction on TF.js's layers refuses a sequence id outside the table instead of clamping it into the last row; padding predicts as before", () => {
  const ir = compileSource(SEQUENCE_SPEC, "seq.mtl").ir!;
  const { model } = buildModel(ir);
  const features = (history: number[]) => ({ user_id: Int32Array.of(3, 7), history: Int32Array.from(history), price: Float32Array.of(0.5, -1) });
  for (const fused of ["on", "off"] as const) {
    predictWith(fused, model, ir, features([1, 2, -1, 4, -1, -1]));
    assert.throws(() => predictWith(fused, model, ir, features([1, 2, -1, 50, -1, -1])), { message: message("history", 50, "user_id", 50) }, `fused ${fused}`);
  }
  tf.disposeVariables();
});

test("the fused lookups read no row for an id outside the table", () => {
  const table = new TableParam("t", {} as tf.Variable, 5, 2, 1);
  assert.equal(table.rowOf(4), 4);
  for (const id of [5, -1]) assert.throws(() => table.rowOf(id), IdOutsideTableError);
});

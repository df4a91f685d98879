/**
 * `categorical(shares: F)`: one embedding table read by two categorical
 * columns. The checker's rules (MTL3030-3032) are in rules.test.ts; here the
 * IR it lowers to, the IR gate, and the runtime: one table variable that
 * both lookups read and train, on the sparse path as on the dense one, and
 * that a saved model keeps. The PyTorch agreement (one nn.Embedding) is in
 * test/codegen/torch/equivalence.test.ts (its coverage spec shares a table).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { compileSource } from "../../src/compiler.js";
import { validateIr } from "../../src/ir/validate.js";
import type { ValidIR } from "../../src/ir/types.js";
import { buildModel, createTrainStep, loadModel, predictTasks, saveModel, type TrainBatch } from "../../src/runtime/graph/index.js";
import { selectBackend } from "../../src/runtime/backend/select.js";

const SPEC = `model shared
feature item_id   : categorical(buckets: 12, dim: 4)
feature last_item : categorical(buckets: 12, dim: 4, shares: item_id)
feature seen[2]   : categorical(buckets: 12, dim: 4, shares: item_id)
feature hist      : sequence(of: last_item, max_len: 3)
feature price     : numeric()
input x = concat(*)
tower t = mlp(x, [4])
task ctr : binary = t label click
train { optimizer: sgd(lr: 0.5) }
`;

function compile(text = SPEC): ValidIR {
  const result = compileSource(text, "shared.mtl");
  assert.deepEqual(result.diagnostics, []);
  return result.ir!;
}

before(() => selectBackend("cpu"));

test("a shared table lowers to one table that every sharing feature, group member and sequence reads", () => {
  const ir = compile();
  assert.deepEqual(ir.tables, [{ name: "item_id", rows: 12, dim: 4 }]);
  const tables = Object.fromEntries(ir.features.filter((f) => f.kind !== "numeric").map((f) => [f.name, f.table]));
  assert.deepEqual(tables, { item_id: "item_id", last_item: "item_id", seen1: "item_id", seen2: "item_id", hist: "item_id" });
});

test("the IR gate refuses features that share a table but encode their values differently", () => {
  const ir = structuredClone(compile()) as unknown as { features: { name: string; encoding?: unknown }[]; tables: { rows: number }[] };
  const vocab = (v: string[]) => ({ type: "vocab", vocab: v });
  ir.features.find((f) => f.name === "item_id")!.encoding = vocab(["a", "b"]);
  ir.features.find((f) => f.name === "last_item")!.encoding = vocab(["b", "a"]);
  for (const f of ir.features) if (f.name.startsWith("seen")) f.encoding = vocab(["a", "b"]);
  ir.tables[0]!.rows = 3;
  const problems = validateIr(ir);
  assert.ok(
    problems.some((p) => p.message.includes("features 'item_id' and 'last_item' share table 'item_id' but encode their values differently")),
    JSON.stringify(problems),
  );
});

function batch(last: number[]): TrainBatch {
  const n = last.length;
  const ids = (xs: number[]) => tf.tensor2d(xs, [n, 1], "int32");
  return {
    inputs: {
      // item_id and seen only ever read rows 0-2; last_item reads the rows given.
      item_id: ids(last.map((_, r) => r % 3)),
      last_item: ids(last),
      seen1: ids(last.map(() => 0)),
      seen2: ids(last.map(() => 1)),
      hist: tf.tensor2d(last.map((_, r) => [r % 3, -1, -1]), [n, 3], "int32"),
      price: tf.tensor2d(last.map((_, r) => r / n), [n, 1], "float32"),
    },
    labels: { ctr: tf.tensor1d(last.map((_, r) => r % 2)) },
  };
}

test("one table variable: lookups by the sharing feature train it, sparsely exactly as densely", () => {
  const ir = compile();
  const sparse = buildModel(ir);
  const dense = buildModel(ir);
  const tableOf = (m: ReturnType<typeof buildModel>) => {
    const tables = m.model.weights.filter((w) => w.originalName.includes("emb_"));
    assert.equal(tables.length, 1, `one embedding table, got ${tables.map((w) => w.originalName).join(", ")}`);
    return tables[0]!;
  };
  const before = tableOf(sparse).read().arraySync() as number[][];
  const sparseStep = createTrainStep(sparse);
  const denseStep = createTrainStep(dense, { sparse: false });
  assert.equal(sparseStep.sparse, true);
  const b = batch([7, 8, 7, 9, 7, 8]);
  for (let i = 0; i < 3; i++) {
    const a = sparseStep.run(b).total;
    const d = denseStep.run(b).total;
    assert.ok(Math.abs(a - d) < 1e-6, `step ${i}: sparse loss ${a}, dense ${d}`);
  }
  const afterSparse = tableOf(sparse).read().arraySync() as number[][];
  const afterDense = tableOf(dense).read().arraySync() as number[][];
  // Rows 7-9 are read by last_item only: they moved, in the one table.
  for (const row of [7, 8, 9]) assert.notDeepEqual(afterSparse[row], before[row], `row ${row} was trained`);
  for (const row of [10, 11]) assert.deepEqual(afterSparse[row], before[row], `row ${row} is read by no one`);
  afterSparse.flat().forEach((v, i) => assert.ok(Math.abs(v - afterDense.flat()[i]!) < 1e-5, `table value ${i}: ${v} vs ${afterDense.flat()[i]}`));
  sparseStep.dispose();
  denseStep.dispose();
});

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

test("a saved model keeps the one table and predicts the same", async () => {
  const ir = compile();
  const built = buildModel(ir);
  const dir = mkdtempSync(join(tmpdir(), "mtl-shared-"));
  dirs.push(dir);
  await saveModel(built.model, dir);
  const loaded = await loadModel(dir);
  assert.equal(loaded.weights.filter((w) => w.originalName.includes("emb_")).length, 1);
  const inputs = batch([3, 7, 11]).inputs;
  const a = predictTasks(built.model, inputs).ctr!.dataSync();
  const b = predictTasks(loaded, inputs).ctr!.dataSync();
  assert.deepEqual(Array.from(b), Array.from(a));
});

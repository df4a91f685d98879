import assert from "node:assert/strict";
import { before, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { compileSource } from "../../src/compiler.js";
import { createEncoder, fitEncoding } from "../../src/data/encode/index.js";
import { DataError, type RawRecord } from "../../src/data/record.js";
import { evaluate } from "../../src/evaluate/evaluate.js";
import { GroupIndex } from "../../src/evaluate/groups.js";
import { UsageError } from "../../src/errors.js";
import { buildModel, predictTasks } from "../../src/runtime/graph/index.js";
import { featureTensors } from "../../src/train/tensors.js";
import { Rng } from "../../src/util/random.js";
import { referenceGauc } from "../helpers/gauc-reference.js";

before(async () => {
  await tf.setBackend("cpu");
});

/** ESMM: cvr has no label of its own; it is scored against buy on the clicked rows. */
const SPEC = `model m
feature x : numeric()
feature level : categorical(buckets: 4, dim: 2)
input i = concat(*)
tower a = mlp(i, [4])
tower b = mlp(i, [4])
task ctr : binary = a label click
task cvr : binary = b
task ctcvr : binary = ctr * cvr label buy
`;

test("GAUC of a latent ESMM task is over the clicked rows against the product's label, per group", async () => {
  const ir = compileSource(SPEC, "m.mtl").ir!;
  const rng = new Rng(4);
  const rows: RawRecord[] = Array.from({ length: 400 }, (_, k) => {
    const click = rng.bernoulli(0.5);
    // Few distinct x values: tied scores inside groups.
    return { line: k + 2, fields: { x: String(rng.int(6)), level: `l${rng.int(4)}`, user: `u${rng.int(25)}`, click: String(click), buy: String(click * rng.bernoulli(0.4)) } };
  });
  const encoding = await fitEncoding(ir, rows, "rows.csv");
  const encoder = createEncoder(ir, encoding);
  const { model } = buildModel(ir);
  async function* records() {
    yield* rows;
  }
  const metrics = await evaluate(ir, model, encoder, records(), { batch: 64, file: "rows.csv", groupBy: "user" });

  const inputs = featureTensors(ir, encoder.encodeFeaturesOnly(rows, "rows.csv"));
  const outputs = predictTasks(model, inputs);
  const cvr = Array.from(outputs["cvr"]!.dataSync());
  tf.dispose([...Object.values(inputs), ...Object.values(outputs)]);
  const expected = referenceGauc(rows.flatMap((r, k) => (r.fields["click"] === "1" ? [{ group: r.fields["user"], s: cvr[k]!, y: Number(r.fields["buy"]) }] : [])));

  const row = metrics.find((m) => m.task === "cvr")!;
  assert.equal(row.on, "click = 1");
  assert.equal(row.metrics.type, "binary");
  if (row.metrics.type !== "binary") return;
  assert.ok(Math.abs(row.metrics.gauc! - expected.gauc) < 1e-12, `${row.metrics.gauc} vs ${expected.gauc}`);
  assert.equal(row.metrics.gaucGroups, expected.groups);
  assert.equal(row.metrics.gaucSkippedGroups, expected.skippedGroups);
  assert.equal(row.metrics.gaucRows, expected.rows);
  assert.ok(row.reliability && row.reliability.reduce((s, b) => s + b.count, 0) === row.metrics.count, "the diagram's bins hold the scored rows");
});

test("groups: values are compared as text; a missing column or value is named", () => {
  const index = new GroupIndex("user", "f.jsonl");
  const ids = index.of([
    { line: 1, fields: { user: 7 } },
    { line: 2, fields: { user: "7" } },
    { line: 3, fields: { user: "8" } },
  ]);
  assert.deepEqual(Array.from(ids), [0, 0, 1]);
  assert.equal(index.size, 2);
  assert.throws(
    () => index.of([{ line: 4, fields: { user: null } }]),
    (e: unknown) => e instanceof DataError && e.line === 4 && e.field === "user" && /no value in the --group-by column 'user'/.test(e.message),
  );
  assert.throws(
    () => new GroupIndex("usr", "f.csv").of([{ line: 2, fields: { user: "a", click: "1" } }]),
    (e: unknown) => e instanceof UsageError && e.message === "--group-by: f.csv has no column 'usr'; its columns are: user, click",
  );
});

test("sample weights: whole weights score as the rows repeated that many times, the latent task with its product's weights", async () => {
  const weighted = compileSource(SPEC.replace("label click", "label click sample_weight w").replace("label buy", "label buy sample_weight w"), "w.mtl").ir!;
  const plain = compileSource(SPEC, "m.mtl").ir!;
  const rng = new Rng(9);
  const rows: RawRecord[] = Array.from({ length: 300 }, (_, k) => {
    const click = rng.bernoulli(0.5);
    return { line: k + 2, fields: { x: String(rng.int(6)), level: `l${rng.int(4)}`, click: String(click), buy: String(click * rng.bernoulli(0.4)), w: String(rng.int(4)) } };
  });
  const repeated = rows.flatMap((r) => Array.from({ length: Number(r.fields["w"]) }, () => r));
  const { model } = buildModel(weighted);
  async function* each(list: RawRecord[]) {
    yield* list;
  }
  const score = async (ir: typeof plain, list: RawRecord[]) =>
    evaluate(ir, model, createEncoder(ir, await fitEncoding(ir, list, "rows.csv")), each(list), { batch: 64, file: "rows.csv" });
  const a = await score(weighted, rows);
  const b = await score(plain, repeated);
  for (const task of ["ctr", "cvr", "ctcvr"]) {
    const x = a.find((m) => m.task === task)!;
    const y = b.find((m) => m.task === task)!;
    assert.equal(x.on, `${y.on}, weighted by w`);
    assert.equal(x.metrics.type, "binary");
    assert.equal(y.metrics.type, "binary");
    if (x.metrics.type !== "binary" || y.metrics.type !== "binary") return;
    assert.equal(x.metrics.weight, y.metrics.count, `${task}: the weights sum to the repeated rows`);
    for (const key of ["auc", "logLoss", "normalizedEntropy", "positiveRate", "meanPrediction", "calibration"] as const) {
      assert.ok(Math.abs(x.metrics[key] - y.metrics[key]) < 1e-9, `${task} ${key}: ${x.metrics[key]} weighted vs ${y.metrics[key]} repeated`);
    }
  }
});

/**
 * The generated module against mtl itself: models trained by trainModel for a
 * few steps, then scored by `collectPredictions` (what `mtl predict` runs) and
 * by the generated module (compiled with tsc, imported, weights loaded from
 * the model folder). Encodings must match exactly, layer names, topology and
 * weight names must match, and scores must agree within 1e-6.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import type * as tf from "@tensorflow/tfjs";
import { generateTypeScript } from "../../../src/codegen/typescript/index.js";
import { compileSource } from "../../../src/compiler.js";
import { CENSUS_HEAD_FILE } from "../../../src/experiments/census/data-files.js";
import { createEncoder, parseEncoding } from "../../../src/data/encode/index.js";
import { readRecords } from "../../../src/data/readers/index.js";
import type { RawRecord } from "../../../src/data/record.js";
import { esmmColumns, generateEsmm } from "../../../src/data/synthetic/esmm.js";
import { writeGenerated } from "../../../src/data/synthetic/write.js";
import type { ValidIR } from "../../../src/ir/types.js";
import { selectBackend } from "../../../src/runtime/backend/select.js";
import { buildModel } from "../../../src/runtime/graph/index.js";
import { loadModelDir } from "../../../src/model-dir/folder.js";
import { collectPredictions } from "../../../src/serve/predict.js";
import { readOptionsFor } from "../../../src/train/read-options.js";
import { trainModel, type TrainEvents } from "../../../src/train/trainer.js";
import { repoRoot } from "../../helpers/paths.js";
import { typeCheck } from "./tsc.js";

/** Sequences (three pools, doubled separators), a vocabulary, every numeric option, batch norm, a gate. */
const SEQ_VOCAB_SPEC = `
## Sequences and a vocabulary over the synthetic ESMM columns.
model seq_vocab "sequence and vocabulary features"

feature user_id  : categorical(buckets: 500, dim: 8)
feature item_id  : categorical(buckets: 300, dim: 8)
## Ten known categories; the rest are out of vocabulary.
feature category : categorical(vocab: ["c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9"], dim: 4)
## Items seen before, oldest first.
feature history  : sequence(of: item_id, max_len: 5, pool: mean)
feature recent_cats : sequence(of: category, max_len: 3, pool: max, sep: ";")
feature friends  : sequence(of: user_id, max_len: 4, pool: sum, sep: "/")
feature price    : numeric(transform: log1p, normalize: zscore)
feature age      : numeric(transform: sqrt, normalize: minmax, fill: zero, column: user_age)
feature visits   : numeric(fill: mean)

input x = concat(*)
expert e[2] = mlp(x, [16], activation: tanh, batchnorm: true)
gate g = softmax(x) over e
## The one tower.
tower t = mlp(g, [8], dropout: 0.2)

task ctr : binary     = t label click
task buy : binary     = t label purchase
task amt : regression = t label amount where purchase

train {
  optimizer: adam(lr: 0.01)
  batch: 64
  seed: 5
}
`;

/** Every example spec (census-mmoe on the shared census rows, the others on synthetic impressions), plus one with sequences and vocabularies. */
const SPECS: { name: string; text: () => string; census?: boolean }[] = [
  ...["shared-bottom.mtl", "omoe.mtl", "mmoe.mtl", "esmm.mtl", "esmm-mmoe-gmv.mtl", "ple.mtl", "census-mmoe.mtl", "aitm.mtl", "escm2.mtl"].map((name) => ({
    name,
    text: () => readFileSync(join(repoRoot(), "specs", name), "utf8"),
    census: name === "census-mmoe.mtl",
  })),
  { name: "seq-vocab.mtl", text: () => SEQ_VOCAB_SPEC },
];



const ROOT = join(repoRoot(), ".build-codegen-tmp", "equivalence");
const quiet: TrainEvents = { fitted() {}, epochStart() {}, step() {}, epochEnd() {} };

/** A small deterministic generator for the extra columns. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

const data = (async () => {
  await selectBackend("wasm");
  rmSync(ROOT, { recursive: true, force: true });
  mkdirSync(ROOT, { recursive: true });
  const random = lcg(11);
  const pick = (n: number, f: () => string, sep: string) => Array.from({ length: n }, f).join(sep);
  const rows = function* () {
    for (const row of generateEsmm({ rows: 2_500, seed: 4, users: 300, items: 200, categories: 20, ctr: 0.2, cvr: 0.3 })) {
      const r = random();
      yield {
        ...row,
        // Empty fields, doubled separators, more items than max_len, non-ASCII ids.
        history: r < 0.15 ? "" : pick(Math.floor(random() * 8), () => `i${Math.floor(random() * 200)}`, r < 0.3 ? "||" : "|"),
        recent_cats: pick(Math.floor(random() * 5), () => `c${Math.floor(random() * 20)}`, ";"),
        friends: r > 0.9 ? "" : pick(1 + Math.floor(random() * 6), () => (random() < 0.1 ? `ü${Math.floor(random() * 9)}✓` : `u${Math.floor(random() * 300)}`), r < 0.5 ? "//" : "/"),
        visits: r < 0.2 ? "" : String(Math.floor(random() * 50) / 4),
      };
    }
  };
  const train = join(ROOT, "train.csv");
  const valid = join(ROOT, "valid.csv");
  await writeGenerated(rows(), [...esmmColumns(), "history", "recent_cats", "friends", "visits"], train, 2_000, { file: valid, rows: 500 });
  return { train, valid };
})();

/** The census head rows as shipped (headerless, padded, `?`), split 1,500 / 391. */
const censusData = (async () => {
  await data;
  const head = CENSUS_HEAD_FILE;
  assert.ok(existsSync(head), `the census data should be in the repository at ${head}`);
  const lines = readFileSync(head, "utf8").split("\n").filter((l) => l.trim() !== "");
  const train = join(ROOT, "census-train.csv");
  const valid = join(ROOT, "census-valid.csv");
  writeFileSync(train, lines.slice(0, 1500).join("\n") + "\n");
  writeFileSync(valid, lines.slice(1500).join("\n") + "\n");
  return { train, valid };
})();

/** The generated module's exports, as the test uses them. */
interface Generated {
  buildModel(): tf.LayersModel;
  loadWeights(model: tf.LayersModel, manifest: unknown, read: (path: string) => Uint8Array): Promise<void>;
  encode(records: readonly Record<string, unknown>[]): Record<string, Int32Array | Float32Array>;
  predict(model: tf.LayersModel, records: readonly Record<string, unknown>[]): Record<string, number>[];
}

/** A reader's record as the generated Input type wants it: keyed by feature name, numbers parsed. */
function toInput(ir: ValidIR, record: RawRecord): Record<string, unknown> {
  return Object.fromEntries(
    ir.features.map((f) => {
      const v = record.fields[f.column] ?? null;
      return [f.name, f.kind === "numeric" && v !== null ? Number(v) : v];
    }),
  );
}

/** Layer name, class and inbound layer names; weight names. */
function topology(model: tf.LayersModel): { layers: string[]; weights: string[] } {
  type Inbound = { inboundNodes: { inboundLayers: { name: string }[] }[] };
  const layers = model.layers.map((l) => {
    const inbound = (l as unknown as Inbound).inboundNodes.flatMap((n) => n.inboundLayers.map((x) => x.name));
    return `${l.name} ${l.getClassName()} <- ${inbound.join(",")}`;
  });
  return { layers: layers.sort(), weights: model.weights.map((w) => w.originalName).sort() };
}

const trained = (async () => {
  const out: { name: string; ir: ValidIR; dir: string; module: string }[] = [];
  for (const spec of SPECS) {
    const { train, valid } = await (spec.census ? censusData : data);
    const result = compileSource(spec.text(), spec.name);
    assert.ok(result.ir, `${spec.name}: ${result.diagnostics.map((d) => d.message).join("; ")}`);
    const ir = result.ir;
    ir.train.batch = 64;
    const stem = spec.name.replace(/\.mtl$/, "").replace(/-/g, "_");
    const dir = join(ROOT, `${stem}-model`);
    await trainModel({
      ir,
      specText: spec.text(),
      train: { file: train, read: readOptionsFor(train, ir.data) },
      valid: { file: valid, read: readOptionsFor(valid, ir.data) },
      out: dir,
      skipBadRows: 0,
      maxSteps: 20,
      shuffleBuffer: 0,
      events: quiet,
    });
    const encoding = parseEncoding(readFileSync(join(dir, "encoding.json"), "utf8"), ir);
    const source = await generateTypeScript(ir, { encoding });
    assert.equal(source, await generateTypeScript(ir, { encoding }), "deterministic with an encoding too");
    writeFileSync(join(ROOT, `${stem}.ts`), source);
    out.push({ name: spec.name, ir, dir, module: `${stem}.ts` });
  }
  const { status, output } = typeCheck(ROOT, out.map((m) => m.module), join(ROOT, "js"));
  assert.equal(output.trim(), "", `tsc reported:\n${output}`);
  assert.equal(status, 0);
  return out;
})();

for (const spec of SPECS) {
  test(`${spec.name}: the generated module encodes, builds, loads and predicts like mtl`, async () => {
    const { valid } = await (spec.census ? censusData : data);
    const entry = (await trained).find((m) => m.name === spec.name)!;
    const loaded = await loadModelDir(entry.dir);
    const ir = loaded.ir;
    const records: RawRecord[] = [];
    for await (const r of readRecords(valid, readOptionsFor(valid, ir.data))) records.push(r);
    const expected = await collectPredictions(ir, loaded.model, createEncoder(ir, loaded.encoding), readRecords(valid, readOptionsFor(valid, ir.data)), valid);

    const generated = (await import(pathToFileURL(join(ROOT, "js", entry.module.replace(/\.ts$/, ".js"))).href)) as Generated;
    const inputs = records.map((r) => toInput(ir, r));

    // Encoding: the same arrays as mtl's encoder, bit for bit.
    const mine = generated.encode(inputs);
    const theirs = createEncoder(ir, loaded.encoding).encodeFeaturesOnly(records, valid).features;
    for (const f of ir.features) assert.deepEqual(mine[f.name], theirs[f.name], `feature ${f.name} encodes differently`);

    // The model: same layers, wiring and weight names, and (one layer plan, one set of seeds)
    // the same initial weights as mtl's own untrained model; the trained weights load by name.
    const model = generated.buildModel();
    assert.deepEqual(topology(model), topology(loaded.model));
    const fresh = buildModel(ir).model;
    const initial = (m: tf.LayersModel) => Object.fromEntries(m.weights.map((w) => [w.originalName, Array.from(w.read().dataSync())]));
    assert.deepEqual(initial(model), initial(fresh), "the generated buildModel() starts from mtl's initial weights");
    fresh.dispose();
    assert.deepEqual(model.inputNames, loaded.model.inputNames);
    assert.deepEqual(model.outputNames, loaded.model.outputNames);
    const manifest = JSON.parse(readFileSync(join(entry.dir, "model.json"), "utf8")) as unknown;
    await generated.loadWeights(model, manifest, (file) => readFileSync(join(entry.dir, file)));

    const scores = generated.predict(model, inputs);
    assert.equal(scores.length, records.length);
    let worst = 0;
    for (const task of ir.tasks) {
      scores.forEach((s, i) => {
        const diff = Math.abs(s[task.name]! - expected[task.name]![i]!);
        assert.ok(Number.isFinite(s[task.name]!), `${task.name} row ${i} is not finite`);
        worst = Math.max(worst, diff);
      });
    }
    assert.ok(worst <= 1e-6, `${spec.name}: largest absolute difference ${worst}`);
    model.dispose();
    loaded.model.dispose();
  });
}

test("seq-vocab: the generated hash equals mtl's on non-ASCII text and lone surrogates", async () => {
  const entry = (await trained).find((m) => m.name === "seq-vocab.mtl")!;
  const loaded = await loadModelDir(entry.dir);
  const generated = (await import(pathToFileURL(join(ROOT, "js", entry.module.replace(/\.ts$/, ".js"))).href)) as Generated;
  const random = lcg(99);
  const alphabet = ["a", "Z", "0", "é", "ß", "中", "😀", "\ud800", "\udc00", "|", " ", "ü✓"];
  const texts = Array.from({ length: 2_000 }, () => Array.from({ length: Math.floor(random() * 12) }, () => alphabet[Math.floor(random() * alphabet.length)]!).join(""));
  const records: RawRecord[] = texts.map((t, i) => ({ line: i + 1, fields: { user_id: t === "" ? null : t, item_id: t, history: t } }));
  const mine = generated.encode(records.map((r) => ({ user_id: r.fields.user_id, item_id: r.fields.item_id, history: r.fields.history })));
  const theirs = createEncoder(loaded.ir, loaded.encoding).encodeFeaturesOnly(records, "hash-test").features;
  for (const name of ["user_id", "item_id", "history", "category", "price", "age", "visits"]) assert.deepEqual(mine[name], theirs[name], name);
  loaded.model.dispose();
});

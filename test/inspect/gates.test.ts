import assert from "node:assert/strict";
import { before, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { compileSource } from "../../src/compiler.js";
import { createEncoder, fitEncoding } from "../../src/data/encode/index.js";
import type { RawRecord } from "../../src/data/record.js";
import { renderSarif } from "../../src/diagnostics/render-sarif.js";
import type { ValidIR } from "../../src/ir/types.js";
import { COLLAPSE_ROWS, diagnoseGates, IDENTICAL_DISTANCE } from "../../src/inspect/diagnose.js";
import { inspectGates, type GateInspection } from "../../src/inspect/gates.js";
import { gateHeatmap } from "../../src/inspect/report.js";
import { names } from "../../src/plan/names.js";
import { buildModel } from "../../src/runtime/graph/index.js";
import { Rng } from "../../src/util/random.js";
import { rangeText } from "../helpers/marked.js";

before(async () => {
  await tf.setBackend("cpu");
});

const SPEC = `model m
feature user : categorical(buckets: 50, dim: 4)
feature price : numeric(normalize: zscore)
input x = concat(*)
expert e[4] = mlp(x, [8])
gate g_ctr = softmax(x) over e
gate g_cvr = softmax(x) over e
tower t1 = mlp(g_ctr, [4])
tower t2 = mlp(g_cvr, [4])
task ctr : binary = t1 label click
task cvr : binary = t2 label buy where click
`;

function rows(n: number): RawRecord[] {
  const rng = new Rng(3);
  return Array.from({ length: n }, (_, i) => ({
    line: i + 2,
    fields: { user: `u${rng.int(40)}`, price: String(rng.normal(0, 1)), click: String(rng.bernoulli(0.3)), buy: String(rng.bernoulli(0.3)) },
  }));
}

/** The model with each gate's softmax layer given [kernel, bias] by `weights` (gate name -> its weights). */
async function inspect(weights: (gate: string, kernelShape: number[], rng: Rng) => [tf.Tensor, tf.Tensor]): Promise<{ ir: ValidIR; inspection: GateInspection }> {
  const ir = compileSource(SPEC, "m.mtl").ir!;
  const data = rows(300);
  const encoding = await fitEncoding(ir, data, "rows.csv");
  const { model } = buildModel(ir);
  const rng = new Rng(9);
  for (const gate of ["g_ctr", "g_cvr"]) {
    const layer = model.getLayer(names.gate(gate));
    layer.setWeights(weights(gate, layer.getWeights()[0]!.shape, rng));
  }
  async function* records() {
    yield* data;
  }
  return { ir, inspection: await inspectGates(ir, model, createEncoder(ir, encoding), records(), { batch: 64, file: "rows.csv" }) };
}

/** Input-dependent gates, each with its own random kernel: a healthy MMoE. */
const healthy = (_gate: string, shape: number[], rng: Rng): [tf.Tensor, tf.Tensor] => [tf.tensor(Array.from({ length: shape[0]! * shape[1]! }, () => rng.normal(0, 3)), shape), tf.zeros([shape[1]!])];

test("a gate forced onto one expert is flagged (MTL7001) with its numbers; the healthy gate beside it is not", async () => {
  // g_ctr: no input dependence, a bias of 12 on expert 0: softmax gives it e^12 / (e^12 + 3) on every row.
  const { inspection } = await inspect((gate, shape, rng) => (gate === "g_ctr" ? [tf.zeros(shape), tf.tensor([12, 0, 0, 0])] : healthy(gate, shape, rng)));
  const forced = inspection.gates.find((g) => g.gate === "g_ctr")!;
  const p0 = Math.exp(12) / (Math.exp(12) + 3);
  const p = 1 / (Math.exp(12) + 3);
  const entropy = -(p0 * Math.log(p0) + 3 * p * Math.log(p));
  assert.equal(forced.rows, 300);
  assert.deepEqual(forced.tasks, ["ctr"]);
  assert.deepEqual(forced.experts, ["e[0]", "e[1]", "e[2]", "e[3]"]);
  assert.ok(Math.abs(forced.meanWeights[0]! - p0) < 1e-6, `mean weight ${forced.meanWeights[0]} vs ${p0}`);
  assert.ok(Math.abs(forced.meanEntropy - entropy) < 1e-5, `entropy ${forced.meanEntropy} vs ${entropy}`);
  assert.ok(Math.abs(forced.effectiveExperts - Math.exp(entropy)) < 1e-5);
  assert.deepEqual(forced.dominantShare, [1, 0, 0, 0]);

  const other = inspection.gates.find((g) => g.gate === "g_cvr")!;
  assert.ok(Math.abs(other.meanWeights.reduce((a, b) => a + b, 0) - 1) < 1e-6, "mean weights sum to 1");
  assert.ok(Math.max(...other.dominantShare) < COLLAPSE_ROWS, `the random gate is not collapsed: ${other.dominantShare.join(", ")}`);
  assert.ok(other.effectiveExperts > 1 && other.effectiveExperts < 4);

  const diagnostics = diagnoseGates(inspection, SPEC, "model/spec.mtl");
  assert.deepEqual(diagnostics.map((d) => d.code), ["MTL7001"]);
  const d = diagnostics[0]!;
  assert.equal(d.severity, "warning");
  assert.equal(rangeText(SPEC, d), "g_ctr", "placed on the gate's name in the spec");
  assert.match(d.message, /^Gate 'g_ctr' has collapsed onto expert e\[0\]: it gives it at least 0\.9 of its weight on 100\.0% of 300 rows \(effective experts 1\.00 of 4\)\. Its other experts do nothing for 'ctr'/);
  const sarif = JSON.parse(renderSarif(diagnostics, { version: "0", baseDir: "/" })) as { runs: { results: { ruleId: string; level: string }[]; tool: { driver: { rules: { id: string; name: string }[] } } }[] };
  assert.deepEqual(sarif.runs[0]!.results.map((r) => [r.ruleId, r.level]), [["MTL7001", "warning"]]);
  assert.ok(sarif.runs[0]!.tool.driver.rules.some((r) => r.id === "MTL7002" && r.name === "gates-identical"));
});

test("a healthy MMoE gets no warning; copying one gate into the other is flagged as OMoE-like (MTL7002)", async () => {
  const clean = await inspect(healthy);
  assert.deepEqual(diagnoseGates(clean.inspection, SPEC, "s.mtl"), []);
  const [pair] = clean.inspection.pairs;
  assert.ok(pair && pair.a === "g_ctr" && pair.b === "g_cvr" && pair.distance > IDENTICAL_DISTANCE, `distance ${pair?.distance}`);

  let shared: [tf.Tensor, tf.Tensor] | null = null;
  const same = await inspect((gate, shape, rng) => (shared ??= healthy(gate, shape, rng)));
  assert.equal(same.inspection.pairs[0]!.distance, 0);
  const diagnostics = diagnoseGates(same.inspection, SPEC, "s.mtl");
  assert.deepEqual(diagnostics.map((d) => d.code), ["MTL7002"]);
  assert.match(diagnostics[0]!.message, /^Gates 'g_ctr', 'g_cvr' weigh their experts almost identically: on average their weights differ by at most 0\.000 /);
  assert.equal(rangeText(SPEC, diagnostics[0]!), "g_ctr");
  assert.deepEqual(diagnostics[0]!.related!.map((r) => SPEC.slice(r.range.start.offset, r.range.end.offset)), ["g_cvr"]);
});

test("the heatmap has a row per gate with its tasks and a cell per expert holding the mean weight", async () => {
  const { inspection } = await inspect(healthy);
  const svg = gateHeatmap(inspection, "gates");
  assert.match(svg, /^<\?xml[^>]*\?>\n<svg /);
  for (const g of inspection.gates) {
    assert.ok(svg.includes(`data-row="${g.gate} (${g.tasks.join(", ")})"`), g.gate);
    for (const w of g.meanWeights) assert.ok(svg.includes(`data-value="${w.toFixed(4)}"`), `${g.gate}: ${w}`);
  }
});

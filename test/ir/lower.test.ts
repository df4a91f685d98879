import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { concatReads } from "../../src/ir/blocks.js";
import { test } from "node:test";
import { compileSource } from "../../src/compiler.js";
import type { GateNodeIR, MlpNodeIR, ModelIR } from "../../src/ir/types.js";
import { validateIr } from "../../src/ir/validate.js";
import { packageRoot } from "../../src/util/package-root.js";
import { irWidths } from "../../src/ir/widths.js";

const specsDir = join(packageRoot(), "specs");
const specs = readdirSync(specsDir).filter((f) => f.endsWith(".mtl")).sort();

function irOf(file: string): ModelIR {
  const result = compileSource(readFileSync(join(specsDir, file)), file);
  assert.deepEqual(result.diagnostics, [], `${file} should check clean`);
  return result.ir!;
}

test("there is an example spec per architecture", () => {
  for (const name of ["shared-bottom", "omoe", "mmoe", "esmm", "ple", "esmm-mmoe-gmv"]) assert.ok(specs.includes(`${name}.mtl`), name);
});

for (const file of specs) {
  test(`${file}: checks clean, lowers to a schema-valid IR, deterministically`, () => {
    const ir = irOf(file);
    assert.deepEqual(validateIr(ir), []);
    assert.equal(JSON.stringify(irOf(file)), JSON.stringify(ir));
    const known = new Set([...ir.features.map((f) => f.name), ...ir.numericBlocks.map((b) => b.name), ...ir.nodes.map((n) => n.name)]);
    for (const node of ir.nodes) {
      const inputs = node.op === "concat" ? node.inputs : node.op === "gate" ? [node.input, ...node.experts] : [node.input];
      for (const input of inputs) assert.ok(known.has(input), `${node.name} reads ${input}`);
    }
    const order = new Map(ir.nodes.map((n, i) => [n.name, i]));
    for (const [i, node] of ir.nodes.entries()) {
      const inputs = node.op === "concat" ? node.inputs : node.op === "gate" ? [node.input, ...node.experts] : [node.input];
      for (const input of inputs) if (order.has(input)) assert.ok(order.get(input)! < i, `${input} must precede ${node.name}`);
    }
  });
}

test("ESMM: ctcvr is the product of ctr and cvr; the latent cvr has no label", () => {
  const ir = irOf("esmm.mtl");
  const task = (name: string) => ir.tasks.find((t) => t.name === name)!;
  assert.deepEqual(task("ctcvr").head, { op: "product", factors: ["ctr", "cvr"] });
  assert.equal(task("cvr").label, null);
  assert.deepEqual(task("ctr").label, { column: "click", positives: null });
  assert.deepEqual(task("ctcvr").label, { column: "purchase", positives: null });
  assert.ok(ir.tasks.indexOf(task("ctcvr")) > ir.tasks.indexOf(task("cvr")), "factors come before their product");
});

test("MMoE: one gate per task over the same 4 experts; where masks cvr by click", () => {
  const ir = irOf("mmoe.mtl");
  const gates = ir.nodes.filter((n): n is GateNodeIR => n.op === "gate");
  const widths = irWidths(ir);
  assert.deepEqual(gates.map((g) => [g.name, g.experts, g.numExperts, widths.get(g.name)]), [["g_ctr", ["e"], 4, 64], ["g_cvr", ["e"], 4, 64]]);
  const experts = ir.nodes.find((n): n is MlpNodeIR => n.name === "e")!;
  assert.deepEqual([experts.count, experts.units, experts.role], [4, [64], "expert"]);
  assert.deepEqual(ir.tasks.find((t) => t.name === "cvr")!.where, { column: "click", positives: null, task: "ctr" });
  assert.equal(widths.get("x"), 16 + 16 + 8 + 1);
});

test("PLE: a task's gate mixes its own and the shared experts; level 2 reads level 1's gates", () => {
  const ir = irOf("ple.mtl");
  const node = (name: string) => ir.nodes.find((n) => n.name === name)!;
  assert.deepEqual([(node("g_ctr1") as GateNodeIR).experts, (node("g_ctr1") as GateNodeIR).numExperts], [["ctr_own1", "shared1"], 4]);
  assert.equal((node("g_shared1") as GateNodeIR).numExperts, 6);
  assert.equal((node("ctr_own2") as MlpNodeIR).input, "g_ctr1");
  assert.equal((node("shared2") as MlpNodeIR).input, "g_shared1");
});

test("combined spec: egmv = ctcvr * gmv is a regression with Huber loss and a small weight", () => {
  const ir = irOf("esmm-mmoe-gmv.mtl");
  const egmv = ir.tasks.find((t) => t.name === "egmv")!;
  assert.deepEqual([egmv.type, egmv.head, egmv.loss, egmv.weight], ["regression", { op: "product", factors: ["ctcvr", "gmv"] }, { type: "huber", delta: 1 }, 0.02]);
  // `where purchase` is ctcvr's label: lowering records whose, as the checker resolved it.
  assert.deepEqual(ir.tasks.find((t) => t.name === "gmv")!.where, { column: "purchase", positives: null, task: "ctcvr" });
});

test("census: headerless CSV with trimmed fields, positive label values, renamed columns", () => {
  const ir = irOf("census-mmoe.mtl");
  assert.deepEqual([ir.data.format, ir.data.header, ir.data.trim, ir.data.missing, ir.data.columns?.length], ["csv", false, true, ["?", ""], 42]);
  assert.deepEqual(ir.tasks.map((t) => t.label), [
    { column: "income", positives: ["50000+."] },
    { column: "marital_stat", positives: ["Never married"] },
  ]);
  assert.equal(ir.features.find((f) => f.name === "dividends")!.column, "dividends_from_stocks");
  const sex = ir.features.find((f) => f.name === "sex")!;
  assert.deepEqual(sex.kind === "categorical" && sex.encoding, { type: "vocab", vocab: ["Female", "Male"] });
  assert.deepEqual(ir.tables.find((t) => t.name === "sex"), { name: "sex", rows: 3, dim: 4 });
});

test("defaults fill the train settings; options given override them", () => {
  const ir = compileSource("model m\nfeature f : numeric()\ninput x = concat(f)\ntower t = mlp(x, [2])\ntask c : binary = t label y\ntrain { optimizer: sgd(momentum: 0.5) }\n", "d.mtl").ir!;
  assert.deepEqual(ir.train, { optimizer: { type: "sgd", lr: 0.01, momentum: 0.5 }, batch: 512, epochs: 1, weighting: "fixed", seed: 42, l2: 0 });
  assert.deepEqual(ir.nodes.find((n) => n.name === "t"), { op: "mlp", name: "t", role: "tower", count: 1, input: "x", units: [2], activation: "relu", dropout: 0, batchNorm: false, init: "torch" });
  assert.deepEqual(ir.data, { format: "csv", header: true, delimiter: ",", trim: false, missing: ["", "?", "NA"], columns: null });
});

test("doc comments reach the IR", () => {
  const ir = compileSource("## The model\nmodel m\n## Price in euros\nfeature f : numeric()\ninput x = concat(f)\ntower t = mlp(x, [2])\ntask c : binary = t label y\n", "d.mtl").ir!;
  assert.equal(ir.model.doc, "The model");
  assert.equal(ir.features[0]!.doc, "Price in euros");
});

const GROUPS = `model criteo "Criteo-like"
## Dense counts.
feature I[13] : numeric(transform: log1p, normalize: zscore)
feature C[26] : categorical(buckets: 100_000, dim: 16)
feature price : numeric(fill: zero)
feature hist  : sequence(of: C3, max_len: 5)
feature one[1] : categorical(vocab: ["a", "b"], dim: 4)
input all  = concat(*)
input some = concat(C, price, I2, one)
tower t = mlp(all, [8])
tower u = mlp(some, [8])
task ctr : binary = t label click
task cvr : binary = u label purchase
`;

test("a feature group lowers to its members, in declaration order, each with the group's options", () => {
  const result = compileSource(GROUPS, "groups.mtl");
  assert.deepEqual(result.diagnostics, []);
  const ir = result.ir!;
  assert.deepEqual(validateIr(ir), []);
  const names = [...Array.from({ length: 13 }, (_, i) => `I${i + 1}`), ...Array.from({ length: 26 }, (_, i) => `C${i + 1}`), "price", "hist", "one1"];
  assert.deepEqual(ir.features.map((f) => f.name), names);
  assert.deepEqual(ir.features.map((f) => f.column), names, "each member reads the column of its own name");
  const i13 = ir.features.find((f) => f.name === "I13")!;
  assert.deepEqual(i13, { name: "I13", column: "I13", doc: "Dense counts.", kind: "numeric", transform: "log1p", normalize: "zscore", fill: "mean" });
  const c26 = ir.features.find((f) => f.name === "C26")!;
  assert.deepEqual(c26, { name: "C26", column: "C26", kind: "categorical", encoding: { type: "hash", buckets: 100_000 }, table: "C26" });
  // Members get separate tables, as separate declarations would.
  assert.deepEqual(ir.tables.map((t) => [t.name, t.rows, t.dim]), [...Array.from({ length: 26 }, (_, i) => [`C${i + 1}`, 100_000, 16]), ["one1", 3, 4]]);
  const hist = ir.features.find((f) => f.name === "hist")!;
  assert.deepEqual(hist.kind === "sequence" && [hist.of, hist.table, irWidths(ir).get("hist")], ["C3", "C3", 16]);
  assert.equal(ir.features.some((f) => f.name === "I" || f.name === "C" || f.name === "one"), false, "groups themselves are not features");
});

test("concat of a group means its members in order; of a member, that member; concat(*) every member", () => {
  const ir = compileSource(GROUPS, "groups.mtl").ir!;
  const node = (name: string) => ir.nodes.find((n) => n.name === name)!;
  // What a concat reads, with each numeric block (src/ir/blocks.ts) spelled out as its features.
  const reads = (name: string) => {
    const n = node(name);
    return n.op === "concat" && concatReads(ir, n.inputs);
  };
  const all = node("all");
  assert.deepEqual(reads("all"), ir.features.map((f) => f.name));
  // I2 and price are read by `some` too, so they stay inputs of their own; I3 .. I13 enter `all` as one block.
  assert.deepEqual(ir.numericBlocks, [{ name: "all_numeric", features: Array.from({ length: 11 }, (_, i) => `I${i + 3}`) }]);
  assert.deepEqual(all.op === "concat" && all.inputs.slice(0, 3), ["I1", "I2", "all_numeric"]);
  assert.equal(irWidths(ir).get("all"), 13 + 26 * 16 + 1 + 16 + 4);
  assert.deepEqual(reads("some"), [...Array.from({ length: 26 }, (_, i) => `C${i + 1}`), "price", "I2", "one1"]);
  assert.equal(irWidths(ir).get("some"), 26 * 16 + 1 + 1 + 4);
});

test("`column: P` on a group makes its members read P1 … PN", () => {
  const text = GROUPS.replace("feature I[13] : numeric(transform: log1p, normalize: zscore)", 'feature I[13] : numeric(column: "int col ")');
  const ir = compileSource(text, "groups.mtl").ir!;
  assert.deepEqual(ir.features.slice(0, 13).map((f) => [f.name, f.column]), Array.from({ length: 13 }, (_, i) => [`I${i + 1}`, `int col ${i + 1}`]));
});

test("a group lowers to exactly the IR of its members declared one by one", () => {
  const grouped = `model m
feature a : numeric()
feature C[3] : categorical(buckets: 50, dim: 4, column: raw)
feature s : sequence(of: C2, max_len: 4)
input x = concat(C, a, s)
tower t = mlp(x, [8])
task ctr : binary = t label click
data { columns: [a, raw1, raw2, raw3, s, click] }
`;
  const expanded = grouped
    .replace("feature C[3] : categorical(buckets: 50, dim: 4, column: raw)", [1, 2, 3].map((i) => `feature C${i} : categorical(buckets: 50, dim: 4, column: raw${i})`).join("\n"))
    .replace("concat(C, a, s)", "concat(C1, C2, C3, a, s)");
  const a = compileSource(grouped, "g.mtl");
  const b = compileSource(expanded, "e.mtl");
  assert.deepEqual(a.diagnostics, []);
  assert.deepEqual(b.diagnostics, []);
  assert.deepEqual(a.ir, b.ir);
});

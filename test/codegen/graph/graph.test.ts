import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { instance } from "@viz-js/viz";
import { compileSource } from "../../../src/compiler.js";
import { dotToSvg, renderDot, renderSvg } from "../../../src/codegen/graph/index.js";
import type { ValidIR } from "../../../src/ir/types.js";
import { packageRoot } from "../../../src/util/package-root.js";
import { irWidths } from "../../../src/ir/widths.js";
import { validateIr } from "../../../src/ir/validate.js";

const root = packageRoot();
const specs = readdirSync(join(root, "specs")).filter((f) => f.endsWith(".mtl")).sort();

function compile(text: string | Uint8Array, file = "test.mtl"): ValidIR {
  const result = compileSource(text, file);
  assert.ok(result.ir, `${file} should compile: ${result.diagnostics.map((d) => d.message).join("; ")}`);
  return result.ir;
}

const irOf = (spec: string) => compile(readFileSync(join(root, "specs", spec)), spec);

/**
 * Graphviz estimates text widths from a table of ASCII widths and warns about
 * "·", "×" and "δ" (it counts them as spaces, about their width: harmless).
 */
const HARMLESS = /^Warning: no value for width of non-ASCII character \d+\. Falling back to width of space character$/;

/** Renders with a fresh Graphviz and fails on any error, or any warning but the harmless one. */
async function renderStrict(dot: string): Promise<string> {
  const result = (await instance()).render(dot, { format: "svg" });
  assert.deepEqual(result.errors.filter((e) => !(e.level === "warning" && HARMLESS.test(e.message.trim()))), [], "Graphviz reported problems");
  assert.equal(result.status, "success");
  return result.output!;
}

/** The `a -> b [attrs]` line of the DOT, or undefined. */
function edge(dot: string, from: string, to: string): string | undefined {
  return dot.split("\n").find((line) => line.trim().startsWith(`"${from}" -> "${to}" [`));
}

/** The attribute list of one DOT node statement. */
function nodeLine(dot: string, id: string): string {
  const line = dot.split("\n").find((l) => l.trim().startsWith(`"${id}" [`));
  assert.ok(line, `no node ${id}`);
  return line;
}

test("there is a picture test per example spec", () => {
  assert.ok(specs.length >= 7, specs.join(", "));
});

for (const spec of specs) {
  test(`${spec}: the DOT renders to SVG and names every feature, node and task`, async () => {
    const ir = irOf(spec);
    const dot = renderDot(ir);
    const svg = await renderStrict(dot);
    assert.match(svg, /^<\?xml[\s\S]*<svg[\s\S]*<\/svg>\s*$/);
    for (const name of [...ir.features.map((f) => f.name), ...ir.nodes.map((n) => n.name), ...ir.tasks.map((t) => t.name)]) {
      assert.ok(dot.includes(`<b>${name}</b>`), `${spec}: DOT lacks ${name}`);
      assert.ok(svg.includes(`>${name}</text>`), `${spec}: SVG lacks ${name}`);
    }
    // Every node and task has its node statement, every edge its width.
    for (const node of ir.nodes) nodeLine(dot, `node:${node.name}`);
    for (const task of ir.tasks) nodeLine(dot, `task:${task.name}`);
    for (const line of dot.split("\n").filter((l) => l.includes(" -> "))) assert.match(line, /label="(\d+( × \d+)?|shared)"/, line);
    // Also left to right.
    await renderStrict(renderDot(ir, { direction: "LR" }));
  });

  test(`${spec}: same IR, same DOT and same SVG bytes`, async () => {
    const dot = renderDot(irOf(spec));
    assert.equal(renderDot(irOf(spec)), dot);
    const svg = await renderSvg(irOf(spec));
    assert.equal(await renderSvg(irOf(spec)), svg);
    // A fresh Graphviz instance lays it out identically (modulo the font fallbacks renderSvg adds).
    assert.equal(await renderStrict(dot), svg.replaceAll("font-family=\"DejaVu Sans,Verdana,Helvetica,Arial,sans-serif\"", 'font-family="DejaVu Sans"'));
  });

  test(`${spec}: docs/images/${spec.replace(/\.mtl$/, ".svg")} is up to date`, async () => {
    const file = join(root, "docs", "images", spec.replace(/\.mtl$/, ".svg"));
    assert.equal(readFileSync(file, "utf8"), await renderSvg(irOf(spec)), "regenerate with: npm run images");
  });
}

test("mmoe: edges carry widths, the expert group is one node with its count, gates list their groups", () => {
  const dot = renderDot(irOf("mmoe.mtl"));
  assert.match(edge(dot, "node:x", "node:e") ?? "", /label="41"/);
  assert.match(edge(dot, "feature:user_id", "node:x") ?? "", /label="16"/);
  assert.match(edge(dot, "feature:price", "node:x") ?? "", /label="1"/);
  assert.match(edge(dot, "node:e", "node:g_ctr") ?? "", /label="4 × 64"/);
  assert.match(edge(dot, "node:x", "node:g_ctr") ?? "", /label="41"/, "the gate's softmax input");
  assert.match(edge(dot, "node:g_ctr", "node:ctr_tower") ?? "", /label="64"/);
  assert.match(edge(dot, "node:ctr_tower", "task:ctr") ?? "", /label="32"/);
  const expert = nodeLine(dot, "node:e");
  assert.match(expert, /shape=box3d/);
  assert.match(expert, /<b>e<\/b> × 4/);
  assert.match(expert, /mlp \[64\] · 64/);
  assert.match(nodeLine(dot, "node:g_ctr"), /softmax over e/);
  assert.match(nodeLine(dot, "feature:user_id"), /<b>user_id<\/b> · categorical · 16/);
  assert.match(nodeLine(dot, "feature:price"), /<b>price<\/b> · numeric · 1/);
  assert.match(nodeLine(dot, "task:cvr"), /label purchase · where click/);
  assert.equal(dot.match(/ -> /g)?.length, 4 + 1 + 2 * 2 + 2 + 2, "4 features, x→e, (x, e)→each gate, gate→tower, tower→task");
});

test("ple: a gate over several groups lists them all and counts their experts", () => {
  const dot = renderDot(irOf("ple.mtl"));
  assert.match(nodeLine(dot, "node:g_shared1"), /softmax over ctr_own1, cvr_own1, shared1/);
  assert.match(nodeLine(dot, "node:g_shared1"), /6 experts · 64/);
  assert.match(edge(dot, "node:cvr_own1", "node:g_shared1") ?? "", /label="2 × 64"/);
  assert.match(edge(dot, "node:g_shared1", "node:shared2") ?? "", /label="64"/);
});

test("esmm: ctcvr is a product node fed by dashed edges from ctr and cvr; cvr is marked latent", () => {
  const dot = renderDot(irOf("esmm.mtl"));
  const product = nodeLine(dot, "product:ctcvr");
  assert.match(product, /shape=circle/);
  assert.match(product, /label=<×>/);
  for (const factor of ["ctr", "cvr"]) assert.match(edge(dot, `task:${factor}`, "product:ctcvr") ?? "", /style=dashed/, factor);
  assert.match(edge(dot, "product:ctcvr", "task:ctcvr") ?? "", /style=dashed/);
  assert.equal(edge(dot, "node:ctr_tower", "task:ctcvr"), undefined, "a product task has no dense head");
  const cvr = nodeLine(dot, "task:cvr");
  assert.match(cvr, /no label \(latent\)/);
  assert.match(cvr, /style="filled,dashed"/);
  assert.doesNotMatch(nodeLine(dot, "task:ctr"), /dashed/);
  assert.match(nodeLine(dot, "task:ctcvr"), /label purchase/);
});

test("aitm: the transfer is a dotted edge from the previous step, of the width of the task's node; the task names its link", () => {
  const dot = renderDot(irOf("aitm.mtl"));
  assert.match(edge(dot, "task:ctr", "task:ctcvr") ?? "", /label="32", style=dotted/);
  assert.equal(edge(dot, "task:ctcvr", "task:ctr"), undefined);
  assert.match(nodeLine(dot, "task:ctcvr"), /after ctr · calibrate 0\.6/);
});

test("esmm-mmoe-gmv: regression tasks look different from binary ones; a product of a product chains", () => {
  const dot = renderDot(irOf("esmm-mmoe-gmv.mtl"));
  const gmv = nodeLine(dot, "task:gmv");
  const ctr = nodeLine(dot, "task:ctr");
  assert.match(gmv, /shape=box/);
  assert.match(ctr, /shape=ellipse/);
  assert.notEqual(gmv.match(/fillcolor="[^"]+"/)![0], ctr.match(/fillcolor="[^"]+"/)![0]);
  assert.match(gmv, /<b>gmv<\/b> · regression/);
  assert.match(gmv, /label amount · where purchase/);
  assert.match(gmv, /huber δ 1 · weight 0.2/);
  assert.ok(edge(dot, "task:ctcvr", "product:egmv"));
  assert.ok(edge(dot, "task:gmv", "product:egmv"));
  assert.ok(edge(dot, "product:egmv", "task:egmv"));
  assert.match(edge(dot, "node:x", "node:shared") ?? "", /label="41"/);
  assert.match(nodeLine(dot, "node:shared"), /mlp \[128, 64\] · dropout 0.1 · 64/);
});

test("census-mmoe: 36 features become one grid with a single summed edge into x", () => {
  const ir = irOf("census-mmoe.mtl");
  const dot = renderDot(ir);
  const grid = nodeLine(dot, "features");
  const widths = irWidths(ir);
  for (const f of ir.features) assert.ok(grid.includes(`<b>${f.name}</b> · ${f.kind} · ${widths.get(f.name)}`), f.name);
  assert.match(edge(dot, "features", "node:x") ?? "", /label="135"/);
  assert.equal(dot.match(/"features" -> /g)?.length, 1);
  assert.match(nodeLine(dot, "task:income"), /label income is &quot;50000\+\.&quot;/);
});

test("a sequence is linked to the embedding table it shares", async () => {
  const ir = compile(`model seq
feature user_id : categorical(buckets: 1000, dim: 16)
feature history : sequence(of: user_id, max_len: 20)
feature price   : numeric()
input x = concat(*)
tower t = mlp(x, [8])
task ctr : binary = t label click
`);
  const dot = renderDot(ir);
  assert.match(nodeLine(dot, "table:user_id"), /shape=cylinder/);
  assert.match(nodeLine(dot, "table:user_id"), /1,000 × 16/);
  assert.ok(edge(dot, "table:user_id", "feature:user_id"));
  assert.match(edge(dot, "table:user_id", "feature:history") ?? "", /label="shared"/);
  assert.match(nodeLine(dot, "feature:history"), /<b>history<\/b> · sequence · 16/);
  assert.equal(dot.match(/"table:/g)?.length, 3, "a table node only for the shared table");
  await renderStrict(dot);
});

test("docs with quotes, backslashes, markup and newlines become tooltips; free text is escaped", async () => {
  const ir = compile(`## Model doc: "quoted", a \\N back\\slash, <b>not bold</b> & more;
## second line.
model tricky "desc with <angle> & \\"quotes\\" and \\\\"
## Feature doc "q" \\
feature user_id : categorical(buckets: 100, dim: 4)
input x = concat(*)
## Tower doc: 'single' "double"
## next line
tower t = mlp(x, [8])
task clk : binary = t label "a&b"
task ctr : binary = t label "class of <worker>" is "50000+. \\"x\\""  where "a&b"
`);
  assert.match(ir.model.doc ?? "", /\n/);
  assert.match(ir.model.description ?? "", /"quotes"/);
  const dot = renderDot(ir);
  // No raw newline inside any statement, and every quoted string is closed on its line.
  for (const line of dot.split("\n")) assert.equal((line.replace(/\\\\/g, "").replace(/\\"/g, "").match(/"/g)?.length ?? 0) % 2, 0, line);
  const svg = await renderStrict(dot);
  const titles = attributes(svg, "xlink:title");
  const texts = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => decode(m[1]!));
  // Docs arrive verbatim as tooltips: quotes, markup, backslashes (no \N expansion) and newlines.
  assert.ok(titles.includes(ir.model.doc!), `model doc in ${JSON.stringify(titles)}`);
  assert.ok(titles.includes("tower t: mlp [8] on x, output width 8\n\nTower doc: 'single' \"double\"\nnext line"), JSON.stringify(titles));
  assert.ok(titles.some((t) => t.endsWith('\n\nFeature doc "q" \\')), "a doc ending in a backslash");
  // Free text in labels arrives verbatim too, as one line.
  assert.ok(texts.includes('desc with <angle> & "quotes" and \\'), JSON.stringify(texts));
  assert.ok(texts.includes('label "class of <worker>" is "50000+. \\"x\\"" · where "a&b"'), JSON.stringify(texts));
  assert.doesNotMatch(svg, /<b>not bold<\/b>/);
});

test("names are escaped in DOT IDs and labels even if an IR held quotes, backslashes or markup", async () => {
  const ir = compile(`model m
feature a : numeric()
input x = concat(*)
tower t = mlp(x, [4])
task y : regression = t label v
`);
  const odd = 'we"ird\\N<b>&\n';
  const hacked: ValidIR = JSON.parse(JSON.stringify(ir).replaceAll('"t"', JSON.stringify(odd)).replaceAll('"name":"m"', `"name":${JSON.stringify(odd)}`));
  const dot = renderDot(hacked);
  assert.ok(dot.includes(`"node:we\\"ird\\\\N<b>& " [`), "the ID is quoted, with \\\" and a doubled backslash");
  const svg = await renderStrict(dot);
  const texts = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => decode(m[1]!));
  assert.equal(texts.filter((t) => t === 'we"ird\\N<b>& ').length, 2, "the title and the tower show the name verbatim");
  assert.ok(attributes(svg, "xlink:title").includes('tower we"ird\\N<b>&\n: mlp [4] on x, output width 4'));
});

/** Decodes the character references Graphviz writes into SVG text and attributes. */
function decode(text: string): string {
  return text
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&#x([0-9a-f]+);/gi, (_, n: string) => String.fromCodePoint(parseInt(n, 16)))
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");
}

function attributes(svg: string, name: string): string[] {
  return [...svg.matchAll(new RegExp(`${name}="([^"]*)"`, "g"))].map((m) => decode(m[1]!));
}

test("an IR whose edges point nowhere never reaches renderDot: the gate refuses it", () => {
  const ir = irOf("mmoe.mtl");
  const broken = { ...ir, tasks: [{ ...ir.tasks[0]!, head: { op: "dense", input: "missing" } }] };
  assert.deepEqual(validateIr(broken), [{ path: "/tasks/0/head/input", message: "'missing' is not a feature or an earlier node" }]);
});

test("dotToSvg throws on invalid DOT", async () => {
  await assert.rejects(dotToSvg("digraph { a -> }"));
});

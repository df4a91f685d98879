import assert from "node:assert/strict";
import { test } from "node:test";
import type { ResponseError } from "vscode-languageserver/node.js";
import { analyze, type Analysis } from "../../src/lsp/analysis.js";
import { complete } from "../../src/lsp/completion.js";
import { hover } from "../../src/lsp/hover.js";
import { definition, documentSymbols, prepareRename, references, rename } from "../../src/lsp/navigation.js";

const SPEC = `model criteo "Criteo-like"
## Integer columns.
feature I[13] : numeric(transform: log1p, normalize: zscore)
feature C[26] : categorical(buckets: 100_000, dim: 16)
feature hist  : sequence(of: C3, max_len: 5)
input x = concat(I, C3, hist)
input y = concat(C)
tower t = mlp(x, [8])
tower u = mlp(y, [8])
task ctr : binary = t label click
task cvr : binary = u label purchase
`;

const URI = "file:///tmp/groups.mtl";

function analysis(text = SPEC): Analysis {
  return analyze(URI, 1, text);
}

/** The offset of the `occurrence`-th `needle`, plus `shift`. */
function offset(text: string, needle: string, occurrence = 0, shift = 0): number {
  let at = -1;
  for (let i = 0; i <= occurrence; i++) {
    at = text.indexOf(needle, at + 1);
    assert.ok(at >= 0, `'${needle}' #${occurrence} not in the spec`);
  }
  return at + shift;
}

function hoverText(a: Analysis, at: number): string {
  const h = hover(a, at);
  assert.ok(h, "a hover");
  return (h.contents as { value: string }).value;
}

function lines(a: Analysis, locations: { range: { start: { line: number; character: number } } }[]): string[] {
  const rows = a.text.split("\n");
  return locations.map((l) => {
    const row = rows[l.range.start.line]!;
    return `${l.range.start.line + 1}:${row.slice(l.range.start.character).match(/^[A-Za-z0-9_]+/)![0]}`;
  });
}

test("the spec checks clean", () => {
  assert.deepEqual(analysis().result.diagnostics, []);
});

test("hover on a group's name: a group of N features, their names and columns abbreviated", () => {
  const a = analysis();
  const text = hoverText(a, offset(SPEC, "I[13]"));
  assert.match(text, /feature I\[13\] : numeric\(transform: log1p, normalize: zscore\)/);
  assert.match(text, /Integer columns\./);
  assert.match(text, /\*\*feature group\*\* `I` of 13 numeric features, width 1 each/);
  assert.match(text, /features `I1` … `I13`/);
  assert.match(text, /reading columns `I1` … `I13`/);
  assert.match(text, /1 reference\b/);
  const c = hoverText(a, offset(SPEC, "concat(C)", 0, "concat(".length));
  assert.match(c, /\*\*feature group\*\* `C` of 26 categorical features, width 16 each/);
  assert.match(c, /features `C1` … `C26`/);
  // Two uses: `C` in y, and its member C3 (twice: in hist and in x).
  assert.match(c, /3 references/);
});

test("hover on a member reference: the member, its group, its column", () => {
  const a = analysis();
  const text = hoverText(a, offset(SPEC, "C3, hist"));
  assert.match(text, /\*\*feature\*\* `C3` \(categorical\), width 16/);
  assert.match(text, /member 3 of the feature group `C`/);
  assert.match(text, /reads column `C3`/);
});

test("go to definition from the group or a member lands on the group's name", () => {
  const a = analysis();
  const groupName = { line: 3, character: "feature ".length };
  assert.deepEqual(definition(a, offset(SPEC, "concat(C)", 0, 7))?.range.start, groupName);
  assert.deepEqual(definition(a, offset(SPEC, "C3, hist"))?.range.start, groupName);
  assert.deepEqual(definition(a, offset(SPEC, "C[26]"))?.range.start, groupName);
});

test("references of a group include the uses of its members", () => {
  const a = analysis();
  assert.deepEqual(lines(a, references(a, offset(SPEC, "C[26]"), true)), ["4:C", "5:C3", "6:C3", "7:C"]);
  assert.deepEqual(lines(a, references(a, offset(SPEC, "C[26]"), false)), ["5:C3", "6:C3", "7:C"]);
});

test("renaming a group renames its uses and its members' uses, and keeps the columns", () => {
  const a = analysis();
  const edit = rename(a, offset(SPEC, "C[26]"), "cat");
  const edits = edit.changes![URI]!;
  const rows = SPEC.split("\n");
  const applied = rows.map((row, line) => {
    const mine = edits.filter((e) => e.range.start.line === line).sort((x, y) => y.range.start.character - x.range.start.character);
    return mine.reduce((r, e) => r.slice(0, e.range.start.character) + e.newText + r.slice(e.range.end.character), row);
  });
  const text = applied.join("\n");
  assert.match(text, /feature cat\[26\] : categorical\(buckets: 100_000, dim: 16, column: C\)/);
  assert.match(text, /sequence\(of: cat3, max_len: 5\)/);
  assert.match(text, /concat\(I, cat3, hist\)/);
  assert.match(text, /concat\(cat\)/);
  const after = analyze(URI, 2, text);
  assert.deepEqual(after.result.diagnostics, []);
  const columns = (an: Analysis) => [...an.checked.symbols.values()].flatMap((s) => (s.kind === "feature" && !s.members ? [s.column] : []));
  assert.deepEqual(columns(after), columns(a), "every member still reads the same column");
});

test("a rename that would make a member clash is refused; a member itself cannot be renamed", () => {
  const text = SPEC.replace("feature hist", "feature J5 : numeric()\nfeature hist");
  const a = analysis(text);
  assert.throws(() => rename(a, offset(text, "I[13]"), "J"), (e: ResponseError<void>) => /'J5' is already declared \(feature at line \d+\).*the group's member 'J5'/.test(e.message));
  assert.throws(() => rename(a, offset(text, "hist  :"), "C7"), (e: ResponseError<void>) => /'C7' is already declared \(a member of the feature group 'C'/.test(e.message));
  assert.throws(() => prepareRename(a, offset(text, "C3, hist")), (e: ResponseError<void>) => /'C3' is a member of the feature group 'C'.*rename the group/.test(e.message));
  // Renaming a group onto one of its own members' names is fine: they move along.
  assert.doesNotThrow(() => rename(a, offset(text, "I[13]"), "I1"));
});

test("the outline lists a group once, with its count", () => {
  const a = analysis();
  const [model] = documentSymbols(a);
  const features = model!.children!.filter((s) => s.detail?.startsWith("numeric") || s.detail?.startsWith("categorical") || s.detail?.startsWith("sequence"));
  assert.deepEqual(features.map((s) => [s.name, s.detail]), [["I", "numeric ×13, width 1 each"], ["C", "categorical ×26, width 16 each"], ["hist", "sequence, width 16"]]);
});

test("completion offers a group where it can be concatenated, not where one value is needed, and never its members", () => {
  const a = analysis();
  const labels = (prefix: string) => complete(prefix, prefix.length, a).map((i) => i.label);
  const concat = labels("input z = concat(");
  assert.ok(concat.includes("C") && concat.includes("I"), concat.join(" "));
  assert.ok(!concat.includes("C1"), "members are not offered");
  const single = labels("tower w = mlp(");
  assert.ok(!single.includes("C") && single.includes("hist"), single.join(" "));
});

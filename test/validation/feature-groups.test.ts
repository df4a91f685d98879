import assert from "node:assert/strict";
import { test } from "node:test";
import { compileSource } from "../../src/compiler.js";
import type { Diagnostic } from "../../src/diagnostics/diagnostic.js";
import type { FeatureSym, InputSym } from "../../src/validation/symbols.js";
import { irWidths } from "../../src/ir/widths.js";

const BASE = `model m
feature x[3] : numeric()
input i = concat(*)
tower t = mlp(i, [4])
task ctr : binary = t label click
`;

function compile(text: string) {
  return compileSource(text, "g.mtl");
}

const slice = (text: string, r: Diagnostic["range"]) => text.slice(r.start.offset, r.end.offset);

test("a member that collides with another declaration is reported at both, each pointing at the other", () => {
  const text = BASE + "feature x2 : numeric()\n";
  const { diagnostics, checked } = compile(text);
  const clashes = diagnostics.filter((d) => d.code === "MTL2007");
  assert.equal(clashes.length, 2);
  const groupAt = text.indexOf("x[3]");
  const otherAt = text.indexOf("x2 :");
  assert.deepEqual(
    clashes.map((d) => [d.range.start.offset, slice(text, d.range), d.related?.map((r) => [r.range.start.offset, r.message])]),
    [
      [groupAt, "x", [[otherAt, "'x2' is declared here"]]],
      [otherAt, "x2", [[groupAt, "the feature group 'x[3]' declares 'x2' here"]]],
    ],
  );
  assert.ok(clashes.every((d) => d.severity === "error"));
  // The first declaration wins: x2 is the group's member.
  const x2 = checked.symbols.get("x2") as FeatureSym;
  assert.equal(x2.group?.name, "x");
  assert.deepEqual(diagnostics.filter((d) => d.code !== "MTL2007"), []);
});

test("a group declared after a clashing name is left out whole, and its members with it", () => {
  const text = BASE.replace("feature x[3] : numeric()", "feature x2 : numeric()\nfeature x[3] : numeric()");
  const { diagnostics, checked } = compile(text);
  assert.deepEqual(diagnostics.map((d) => [d.code, slice(text, d.range)]), [["MTL2007", "x2"], ["MTL2007", "x"]]);
  assert.deepEqual([...checked.symbols.keys()].filter((k) => k.startsWith("x")), ["x2"]);
});

test("a group named like an existing declaration is a plain duplicate", () => {
  const text = BASE + "feature x : numeric()\n";
  const { diagnostics } = compile(text);
  assert.deepEqual(diagnostics.map((d) => [d.code, d.range.start.line]), [["MTL2002", 6]]);
});

test("a group of one has one member named NAME1", () => {
  const { checked, ir, diagnostics } = compile(BASE.replace("x[3]", "x[1]"));
  assert.deepEqual(diagnostics, []);
  assert.deepEqual((checked.symbols.get("x") as FeatureSym).members!.map((m) => m.name), ["x1"]);
  assert.deepEqual(ir!.features.map((f) => f.name), ["x1"]);
});

test("an invalid count leaves the group without members, and only the count is reported", () => {
  for (const count of ["0", "2000", "1.5", "-1"]) {
    const text = BASE.replace("x[3]", `x[${count}]`) + "feature y : numeric()\n";
    const { diagnostics, checked } = compile(text);
    assert.deepEqual(diagnostics.filter((d) => d.severity === "error").map((d) => [d.code, slice(text, d.range)]), [[count === "1.5" ? "MTL3005" : "MTL3004", count]], count);
    assert.deepEqual((checked.symbols.get("x") as FeatureSym).members, []);
  }
});

test("naming a member resolves to that member, records the reference there, and keeps the group used", () => {
  const text = BASE.replace("concat(*)", "concat(x3, x1)");
  const { diagnostics, checked } = compile(text);
  assert.deepEqual(diagnostics, []);
  const input = checked.symbols.get("i") as InputSym;
  assert.deepEqual(input.inputs.map((s) => s.name), ["x3", "x1"]);
  const group = checked.symbols.get("x") as FeatureSym;
  assert.deepEqual(group.members!.map((m) => m.references.length), [1, 0, 1]);
  assert.equal(group.references.length, 0);
});

test("an unused group is reported once, at its name; its members never are", () => {
  const text = BASE.replace("concat(*)", "concat(y)") + "feature y : numeric()\n";
  const { diagnostics } = compile(text);
  assert.deepEqual(diagnostics.map((d) => [d.code, slice(text, d.range), d.message]), [["MTL2006", "x", "Feature 'x' is declared but never used. Use it, or remove it."]]);
});

test("an unknown member name suggests a member", () => {
  const text = BASE.replace("concat(*)", "concat(xx3)");
  const d = compile(text).diagnostics.find((x) => x.code === "MTL2001")!;
  assert.match(d.message, /Cannot find 'xx3'.*Did you mean 'x3'\?/);
});

test("a sequence may share the table of a member of a categorical group, not of the group", () => {
  const ok = `model m
feature c[2] : categorical(buckets: 10, dim: 4)
feature s : sequence(of: c2, max_len: 3)
input i = concat(*)
tower t = mlp(i, [4])
task ctr : binary = t label click
`;
  const result = compile(ok);
  assert.deepEqual(result.diagnostics, []);
  assert.equal((result.checked.symbols.get("s") as FeatureSym).width, 4);
  const bad = compile(ok.replace("of: c2", "of: c"));
  assert.deepEqual(bad.diagnostics.map((d) => d.code), ["MTL4008"]);
});

test("a sequence group: every member shares the one table", () => {
  const text = `model m
feature c : categorical(buckets: 10, dim: 4)
feature s[2] : sequence(of: c, max_len: 3)
input i = concat(*)
tower t = mlp(i, [4])
task ctr : binary = t label click
`;
  const { diagnostics, ir } = compile(text);
  assert.deepEqual(diagnostics, []);
  const widths = irWidths(ir!);
  assert.deepEqual(ir!.features.map((f) => [f.name, f.kind === "sequence" ? f.table : "-", widths.get(f.name)]), [["c", "-", 4], ["s1", "c", 4], ["s2", "c", 4]]);
});

test("options are checked once for the whole group", () => {
  const text = BASE.replace("numeric()", "numeric(transform: logg)");
  const { diagnostics } = compile(text);
  assert.deepEqual(diagnostics.map((d) => d.code), ["MTL3009"]);
});

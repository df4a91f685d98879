import assert from "node:assert/strict";
import { test } from "node:test";
import { applyFixes } from "../../src/diagnostics/apply-fixes.js";
import type { Diagnostic, Fix } from "../../src/diagnostics/diagnostic.js";
import { compileSource } from "../../src/compiler.js";

const at = (start: number, end: number) => ({ start: { line: 1, column: start + 1, offset: start }, end: { line: 1, column: end + 1, offset: end } });

function withFixes(...fixes: Fix[]): Diagnostic {
  return { code: "MTL2001", severity: "error", message: "m", file: "f.mtl", range: at(0, 0), fixes };
}

test("fixes are applied at their offsets, later ones first so earlier offsets stay valid", () => {
  const text = "aaa bbb ccc";
  const { text: fixed, applied } = applyFixes(text, [
    withFixes({ title: "", range: at(8, 11), newText: "CCCCC" }),
    withFixes({ title: "", range: at(0, 3), newText: "A" }),
  ]);
  assert.equal(fixed, "A bbb CCCCC");
  assert.equal(applied, 2);
});

test("a diagnostic with two candidate fixes is left for the author; overlapping and repeated fixes apply once", () => {
  const text = "aaa bbb";
  const { text: fixed, applied } = applyFixes(text, [
    withFixes({ title: "", range: at(0, 3), newText: "x" }, { title: "", range: at(0, 3), newText: "y" }),
    withFixes({ title: "", range: at(4, 7), newText: "B" }),
    withFixes({ title: "", range: at(4, 7), newText: "B" }),
    withFixes({ title: "", range: at(5, 6), newText: "Z" }),
  ]);
  assert.equal(fixed, "aaa B");
  assert.equal(applied, 1);
});

test("the fixes of a real spec with three typos give a spec that checks clean", () => {
  const spec = `model m
feature user_id : categorical(buckets: 100, dim: 8)
feature price : numerc(transform: log1p)
input x = concat(*)
tower t = mlp(xx, [8], dropot: 0.1)
task ctr : binary = t label click
`;
  const before = compileSource(spec, "typos.mtl", { lower: false });
  assert.ok(before.diagnostics.length >= 3, before.diagnostics.map((d) => d.message).join("\n"));
  const { text, applied } = applyFixes(spec, before.diagnostics);
  assert.equal(applied, 3);
  assert.deepEqual(compileSource(text, "typos.mtl", { lower: false }).diagnostics, []);
  assert.match(text, /numeric\(transform: log1p\)/);
  assert.match(text, /mlp\(x, \[8\], dropout: 0\.1\)/);
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { compileSource } from "../../src/compiler.js";

function widths(text: string): Record<string, number | undefined> {
  const result = compileSource(text, "w.mtl");
  assert.deepEqual(result.diagnostics.filter((d) => d.severity === "error").map((d) => d.message), []);
  return Object.fromEntries([...result.checked.symbols.values()].map((s) => [s.name, s.width]));
}

test("widths: embedding dims, numeric 1, shared-table sequences, concat sums, last layers, gate = expert width", () => {
  const w = widths(`model m
feature item : categorical(buckets: 1000, dim: 12)
feature cat : categorical(vocab: ["a", "b"], dim: 3)
feature price : numeric(transform: log1p)
feature hist : sequence(of: item, max_len: 20, pool: sum)
input x = concat(*)
input y = concat(cat, price)
expert e[3] = mlp(x, [64, 24])
expert own[2] = mlp(y, [10, 24])
gate g = softmax(y) over e, own
tower t = mlp(g, [7])
input z = concat(g, t, price)
tower u = mlp(z, [5])
task a : binary = t label click
task b : regression = u label amount
`);
  assert.deepEqual(w, { item: 12, cat: 3, price: 1, hist: 12, x: 12 + 3 + 1 + 12, y: 4, e: 24, own: 24, g: 24, t: 7, z: 24 + 7 + 1, u: 5, a: 1, b: 1 });
});

test("a width mismatch is reported at the gate's expert that differs, and does not cascade", () => {
  const result = compileSource(`model m
feature f : numeric()
input x = concat(f)
expert a[2] = mlp(x, [8])
expert b[2] = mlp(x, [9])
gate g = softmax(x) over a, b
tower t = mlp(g, [4])
task c : binary = t label y
`, "w.mtl");
  assert.deepEqual(result.diagnostics.map((d) => [d.code, d.range.start.line, d.range.start.column]), [["MTL4002", 6, 29]]);
  assert.equal(result.checked.symbols.get("g")!.width, undefined);
  assert.equal(result.checked.symbols.get("t")!.width, 4, "the tower's own width is still known");
});

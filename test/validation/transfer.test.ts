import assert from "node:assert/strict";
import { test } from "node:test";
import { compileSource } from "../../src/compiler.js";
import { transferOrder } from "../../src/validation/transfer.js";

test("transferOrder pulls a task's predecessor forward and otherwise keeps the order", () => {
  const after: Record<string, string> = { buy: "cart", cart: "click", extra: "click" };
  const order = transferOrder(["buy", "product", "click", "cart", "extra"], (t) => after[t]);
  assert.deepEqual(order, ["click", "cart", "buy", "product", "extra"]);
  assert.deepEqual(transferOrder(["a", "b"], () => undefined), ["a", "b"]);
});

test("tasks written before the step they come after are lowered after it; products still follow their factors", () => {
  const source = `model m
feature a : numeric()
tower t1 = mlp(a, [4])
tower t2 = mlp(a, [4])
tower t3 = mlp(a, [4])
task buy   : binary = t3 label buy after cart calibrate 1
task both  : binary = cart * click label both
task cart  : binary = t2 label cart after click
task click : binary = t1 label click
`;
  const result = compileSource(source, "m.mtl");
  assert.ok(result.ir, result.diagnostics.map((d) => d.message).join("; "));
  const names = result.ir.tasks.map((t) => t.name);
  assert.ok(names.indexOf("click") < names.indexOf("cart") && names.indexOf("cart") < names.indexOf("buy"), names.join(", "));
  assert.ok(names.indexOf("both") > names.indexOf("cart") && names.indexOf("both") > names.indexOf("click"), names.join(", "));
  assert.deepEqual(result.ir.tasks.find((t) => t.name === "buy")!.transfer, { from: "cart", calibrate: 1 });
  assert.deepEqual(result.ir.tasks.find((t) => t.name === "cart")!.transfer, { from: "click", calibrate: 0 });
  assert.equal(result.ir.tasks.find((t) => t.name === "click")!.transfer, undefined);
});

test("a three-task cycle is reported once, at the first task's link, with the whole path", () => {
  const source = `model m
feature a : numeric()
tower t = mlp(a, [4])
task x : binary = t label x after z
task y : binary = t label y after x
task z : binary = t label z after y
`;
  const cycles = compileSource(source, "m.mtl").diagnostics.filter((d) => d.code === "MTL5022");
  assert.equal(cycles.length, 1);
  assert.equal(cycles[0]!.range.start.line, 4);
  assert.match(cycles[0]!.message, /\(x after z after y after x\)/);
});

test("a funnel of 20,000 steps written last step first is checked and ordered without recursion", () => {
  const n = 20_000;
  const names = Array.from({ length: n }, (_, i) => `s${n - 1 - i}`);
  const after = (t: string) => (t === "s0" ? undefined : `s${Number(t.slice(1)) - 1}`);
  const order = transferOrder(names, after);
  assert.equal(order[0], "s0");
  assert.equal(order[n - 1], `s${n - 1}`);
  assert.ok(order.every((t, i) => t === `s${i}`));
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { compileSource } from "../../src/compiler.js";
import { graphInputs, withNumericBlocks } from "../../src/ir/blocks.js";
import type { ModelIR } from "../../src/ir/types.js";
import { validateIr } from "../../src/ir/validate.js";
import { irWidths } from "../../src/ir/widths.js";

const SPEC = `model m
feature a : numeric()
feature b : numeric(transform: log1p)
feature u : categorical(buckets: 10, dim: 3)
feature c : numeric()
feature d : numeric()
feature e : numeric()
feature shared : numeric()
input x = concat(a, b, u, c, d, shared, e)
input y = concat(shared, u)
tower t = mlp(x, [4])
tower v = mlp(y, [4])
task p : binary = t label click
task q : binary = v label buy
`;

function irOf(text: string): ModelIR {
  const result = compileSource(text, "m.mtl");
  assert.ok(result.ir, result.diagnostics.map((d) => d.message).join("; "));
  return result.ir;
}

test("lowering makes one block of each run of two or more numeric features that only their input reads", () => {
  const ir = irOf(SPEC);
  // `u` breaks the run; `shared` is read by y too, so it stays a feature of its own and splits c, d from e (a run of one).
  assert.deepEqual(ir.numericBlocks, [
    { name: "x_numeric", features: ["a", "b"] },
    { name: "x_numeric_2", features: ["c", "d"] },
  ]);
  const x = ir.nodes.find((n) => n.name === "x")!;
  assert.deepEqual(x.op === "concat" && x.inputs, ["x_numeric", "u", "x_numeric_2", "shared", "e"]);
  assert.equal(irWidths(ir).get("x_numeric"), 2);
  assert.equal(irWidths(ir).get("x"), 2 + 3 + 2 + 1 + 1, "the input is as wide as before");
  assert.deepEqual(
    graphInputs(ir).map((i) => i.name),
    ["x_numeric", "u", "x_numeric_2", "e", "shared"],
    "features in declaration order, a block in the place of its first feature",
  );
});

test("a numeric feature that a network, a gate or a task head also reads directly stays a feature of its own", () => {
  const ir = irOf(`model m
feature a : numeric()
feature b : numeric()
feature c : numeric()
feature d : numeric()
feature e : numeric()
input x = concat(a, b, c, d, e)
expert ex[2] = mlp(x, [4])
gate g = softmax(c) over ex
tower t = mlp(g, [4])
tower w = mlp(b, [2])
task p : binary = t label click
task q : binary = w label buy
task r : regression = e label amount
`);
  // b (read by tower w), c (by gate g) and e (by task r) break the runs; only d is left alone, a run of one.
  assert.deepEqual(ir.numericBlocks, []);
  assert.deepEqual(validateIr(ir), []);
});

test("a block's name never takes a name the model declares", () => {
  const { numericBlocks } = withNumericBlocks(
    [
      { name: "a", column: "a", kind: "numeric", transform: "none", normalize: "none", fill: "mean" },
      { name: "b", column: "b", kind: "numeric", transform: "none", normalize: "none", fill: "mean" },
      { name: "x_numeric", column: "c", kind: "numeric", transform: "none", normalize: "none", fill: "mean" },
    ],
    [
      { op: "concat", name: "x", role: "input", inputs: ["a", "b"] },
      { op: "concat", name: "y", role: "input", inputs: ["x_numeric"] },
    ],
    [],
  );
  assert.deepEqual(numericBlocks, [{ name: "x_numeric_2", features: ["a", "b"] }]);
});

/** The lowered IR of SPEC with `change` applied to a JSON copy. */
function problems(change: (ir: Record<string, any>) => void): string[] {
  const ir = JSON.parse(JSON.stringify(irOf(SPEC))) as Record<string, any>;
  change(ir);
  return validateIr(ir).map((p) => `${p.path}: ${p.message}`);
}

test("the gate checks every block against the features and the inputs that read it", () => {
  assert.deepEqual(problems(() => {}), []);
  assert.deepEqual(problems((ir) => (ir["numericBlocks"][0].features = ["a", "u"]))[0], "/numericBlocks/0/features/1: 'u' is not a numeric feature");
  assert.deepEqual(problems((ir) => (ir["numericBlocks"][1].features = ["c", "a"])), ["/numericBlocks/1/features/1: feature 'a' is already in numeric block 'x_numeric'"]);
  assert.deepEqual(problems((ir) => (ir["nodes"][0].inputs = ["a", "b", "u", "x_numeric_2", "shared", "e"])), [
    "/nodes/0/inputs/0: feature 'a' is in numeric block 'x_numeric': read the block instead",
    "/nodes/0/inputs/1: feature 'b' is in numeric block 'x_numeric': read the block instead",
    "/numericBlocks/0/name: numeric block 'x_numeric' is read by no input",
  ]);
  assert.deepEqual(problems((ir) => ir["nodes"][1].inputs.push("x_numeric")), ["/nodes/1/inputs/2: numeric block 'x_numeric' is read twice: a block belongs to one input"]);
  assert.deepEqual(problems((ir) => (ir["nodes"][2].input = "x_numeric")), ["/nodes/2/input: 'x_numeric' is a numeric block; only an input's concatenation reads one"]);
  assert.deepEqual(problems((ir) => (ir["numericBlocks"][0].name = "u"))[0], "/numericBlocks/0/name: 'u' is declared twice (first at /features/2)");
});

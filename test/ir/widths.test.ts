import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { test } from "node:test";
import { compileSource } from "../../src/compiler.js";
import { irWidths } from "../../src/ir/widths.js";
import { exampleSpecs } from "../helpers/paths.js";

test("the widths derived from the IR are the checker's, for every feature and node of every example spec", () => {
  for (const file of exampleSpecs()) {
    const source = readFileSync(file, "utf8");
    const { ir, checked } = compileSource(source, file);
    const widths = irWidths(ir!);
    let compared = 0;
    for (const sym of checked.symbols.values()) {
      if (sym.kind === "task" || (sym.kind === "feature" && sym.members)) continue;
      assert.equal(widths.get(sym.name), sym.width, `${basename(file)}: ${sym.kind} '${sym.name}'`);
      compared++;
    }
    assert.equal(compared, ir!.features.length + ir!.nodes.length, basename(file));
  }
});

test("a dangling name gives NaN, never a throw, so the gate can report it itself", () => {
  const ir = compileSource("model m\nfeature a : numeric()\ninput x = concat(a)\ntower t = mlp(x, [3])\ntask c : binary = t label y\n", "m.mtl").ir!;
  const broken = { ...ir, nodes: [{ op: "concat" as const, name: "x", role: "input" as const, inputs: ["a", "gone"] }] };
  assert.ok(Number.isNaN(irWidths(broken).get("x")));
  assert.deepEqual([...irWidths(ir)], [["a", 1], ["x", 1], ["t", 3]]);
});

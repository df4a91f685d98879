import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { renderDot } from "../../../src/codegen/graph/dot.js";
import { layoutSize, MAX_LAYOUT_NODES } from "../../../src/codegen/graph/layout-size.js";
import { renderSvg } from "../../../src/codegen/graph/svg.js";
import { compileSource } from "../../../src/compiler.js";
import { chainSpec } from "../../helpers/chain-spec.js";
import { repoRoot } from "../../helpers/paths.js";

function irOf(source: string) {
  const result = compileSource(source, "chain.mtl");
  assert.deepEqual(result.diagnostics.map((d) => d.message), []);
  return result.ir!;
}

test("a chain lays out one node per declaration and no edge crosses a rank", () => {
  // feature, input, 50 towers, task: 53 nodes in a line.
  assert.deepEqual(layoutSize(renderDot(irOf(chainSpec("towers", 50)))), { nodes: 53, spanned: 0 });
});

test("a product chain's shared factor sends edges across ever more ranks: quadratic", () => {
  const small = layoutSize(renderDot(irOf(chainSpec("products", 10))));
  const large = layoutSize(renderDot(irOf(chainSpec("products", 20))));
  assert.ok(large.nodes < 2.2 * small.nodes, `${small.nodes} -> ${large.nodes}`);
  assert.ok(large.spanned > 3.5 * small.spanned, `${small.spanned} -> ${large.spanned}`);
});

test("every example spec is far inside the svg limit", () => {
  const dir = join(repoRoot(), "specs");
  for (const file of readdirSync(dir)) {
    const { nodes, spanned } = layoutSize(renderDot(irOf(readFileSync(join(dir, file), "utf8"))));
    assert.ok(nodes + spanned < MAX_LAYOUT_NODES / 10, `${file}: ${nodes} + ${spanned}`);
  }
});

test("renderSvg refuses a graph over the limit at once, naming the limit and the way out", async () => {
  for (const source of [chainSpec("towers", MAX_LAYOUT_NODES), chainSpec("products", 60)]) {
    const started = performance.now();
    await assert.rejects(renderSvg(irOf(source)), (error: Error) => {
      assert.equal(error.name, "GraphTooLargeError");
      assert.match(error.message, /too large for the svg target: Graphviz would lay out [\d,]+ nodes .* stops at 1,000, .* use '--target dot'/);
      return true;
    });
    assert.ok(performance.now() - started < 5_000);
  }
});

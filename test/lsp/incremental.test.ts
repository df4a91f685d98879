import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { generateLargeSpec } from "../../bench/generate-spec.js";
import { compileSource } from "../../src/compiler.js";
import { chunksOf, IncrementalCompiler } from "../../src/lsp/incremental.js";
import { exampleSpecs } from "../helpers/paths.js";
import { mulberry } from "./prng.js";

/** The incremental result must be what `mtl check` computes: same diagnostics, same tree. */
function assertSame(inc: IncrementalCompiler, text: string, what: string): void {
  const expected = compileSource(text, "x.mtl", { lower: false });
  const got = inc.compile(text, "x.mtl");
  assert.deepEqual(got.diagnostics, expected.diagnostics, `${what}: diagnostics`);
  assert.deepEqual(JSON.parse(JSON.stringify(got.checked.ast)), JSON.parse(JSON.stringify(expected.checked.ast)), `${what}: syntax tree`);
  assert.deepEqual([...got.checked.symbols.keys()], [...expected.checked.symbols.keys()], `${what}: symbols`);
}

test("chunks cover the text and start at declarations with their doc lines", () => {
  const text = "# header\n## doc\nmodel m\n\nfeature a : numeric()\n## b's doc\n## more\nfeature b :\n  numeric()\n";
  const chunks = chunksOf(text);
  assert.equal(chunks.map((c) => c.text).join(""), text);
  assert.deepEqual(chunks.map((c) => [c.text.split("\n")[0], c.line]), [["# header", 0], ["## doc", 1], ["feature a : numeric()", 4], ["## b's doc", 5]]);
});

test("equals compileSource on every example spec, through random edits", () => {
  const random = mulberry(7);
  const pieces = ["x", " ", "\n", "(", ")", ",", "[", "]", ":", "=", "1", "#", '"', "feature f : numeric()\n", "## doc\n", "task t : binary = x label y\n", "\r\n"];
  for (const spec of exampleSpecs()) {
    const inc = new IncrementalCompiler();
    let text = readFileSync(spec, "utf8");
    assertSame(inc, text, spec);
    for (let i = 0; i < 40; i++) {
      const at = Math.floor(random() * (text.length + 1));
      if (random() < 0.3) {
        text = text.slice(0, at) + text.slice(Math.min(text.length, at + 1 + Math.floor(random() * 12)));
      } else {
        text = text.slice(0, at) + pieces[Math.floor(random() * pieces.length)]! + text.slice(at);
      }
      assertSame(inc, text, `${spec} after edit ${i}`);
    }
  }
});

test("equals compileSource on a large spec after edits that move lines", () => {
  const inc = new IncrementalCompiler();
  let text = generateLargeSpec(300);
  assertSame(inc, text, "large");
  text = text.replace("dim: 16)", "dim: 17)");
  assertSame(inc, text, "large, dim changed");
  text = "\n\n## new doc\n" + text.replace("model large_ranker", "model large_ranker2");
  assertSame(inc, text, "large, lines inserted at the top");
  text = text.replace(/feature v1_price .*\n/, "");
  assertSame(inc, text, "large, a declaration removed");
});

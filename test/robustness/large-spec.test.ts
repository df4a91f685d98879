import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { declarationCount, generateLargeSpec } from "../../bench/generate-spec.js";
import { compileSource } from "../../src/compiler.js";
import { validateIr } from "../../src/ir/validate.js";
import { assertNoCrash, runCli, tempDir } from "../helpers/cli.js";
import { cliFrom } from "../helpers/paths.js";

const CLI = cliFrom(import.meta.url);
const tmp = tempDir("large");

test("the generated 2,000-declaration spec checks clean and lowers to a valid IR", (t) => {
  const source = generateLargeSpec(2_000);
  const started = performance.now();
  const result = compileSource(source, "large.mtl");
  t.diagnostic(`compileSource of ${source.length} characters: ${(performance.now() - started).toFixed(0)} ms`);
  assert.deepEqual(result.diagnostics.map((d) => `${d.code} ${d.range.start.line}: ${d.message}`), []);
  assert.equal(result.checked.ast.decls.length, 2_000);
  assert.equal(declarationCount(2_000), 2_000);
  assert.ok(result.ir);
  assert.deepEqual(validateIr(result.ir), []);
  const ir = result.ir;
  assert.ok(ir.features.length > 700, `${ir.features.length} features`);
  assert.ok(ir.tasks.length > 300, `${ir.tasks.length} tasks`);
  assert.ok(ir.nodes.some((n) => n.op === "gate" && n.numExperts > 2));
  // Every node reads only what precedes it (the IR's topological order).
  const seen = new Set([...ir.features.map((f) => f.name), ...ir.numericBlocks.map((b) => b.name)]);
  for (const node of ir.nodes) {
    const reads = node.op === "concat" ? node.inputs : node.op === "gate" ? [node.input, ...node.experts] : [node.input];
    for (const name of reads) assert.ok(seen.has(name), `${node.name} reads ${name} before it is defined`);
    seen.add(node.name);
  }
});

test("generated specs of other sizes also check clean", () => {
  for (const n of [1, 26, 100, 777]) {
    const result = compileSource(generateLargeSpec(n), `large-${n}.mtl`);
    assert.deepEqual(result.diagnostics.map((d) => d.message), [], `n = ${n}`);
    assert.equal(result.checked.ast.decls.length, declarationCount(n), `n = ${n}`);
    assert.ok(result.ir);
  }
});

test("mtl check and mtl compile handle the generated spec", (t) => {
  const path = join(tmp.dir, "large.mtl");
  writeFileSync(path, generateLargeSpec(2_000));
  const check = runCli(CLI, ["check", path]);
  t.diagnostic(`mtl check: ${check.ms.toFixed(0)} ms`);
  assertNoCrash(check, "mtl check large.mtl");
  assert.equal(check.status, 0, check.stdout);
  assert.equal(check.stdout, "0 errors, 0 warnings in 1 file\n");
  const compile = runCli(CLI, ["compile", path]);
  t.diagnostic(`mtl compile: ${compile.ms.toFixed(0)} ms`);
  assert.equal(compile.status, 0, compile.stderr);
  assert.deepEqual(validateIr(JSON.parse(compile.stdout)), []);
});

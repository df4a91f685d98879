/**
 * Inputs found by the mutation property (mutation.property.test.ts), kept as
 * fixed cases. A detached doc comment ('##' followed by a blank line) is a
 * warning (MTL1007); it must not hide the errors of the declaration above it.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { compileSource } from "../../src/compiler.js";
import { validateIr } from "../../src/ir/validate.js";
import { assertNoCrash, runCli, tempDir } from "../helpers/cli.js";
import { assertWellFormed } from "../helpers/diagnostics.js";
import { cliFrom } from "../helpers/paths.js";

const CLI = cliFrom(import.meta.url);
const tmp = tempDir("regressions");

const CASES: { label: string; source: string; code: string; line: number }[] = [
  {
    label: "misspelt constructor of an input, then a detached doc comment",
    source: "model m\nfeature a : numeric()\ninput x = boncat(a)\n## detached doc comment\n\ntower t = mlp(x, [4])\ntask c : binary = t label click\n",
    code: "MTL3001",
    line: 3,
  },
  {
    label: "misspelt option of a feature, then a detached doc comment",
    source: "model m\nfeature a : numeric(transfrom: log1p)\n## detached doc comment\n\ninput x = concat(a)\ntower t = mlp(x, [4])\ntask c : binary = t label click\n",
    code: "MTL3002",
    line: 2,
  },
  {
    label: "misspelt optimizer in the train block, then a doc comment at the end of the file",
    source: "model m\nfeature a : numeric()\ninput x = concat(a)\ntower t = mlp(x, [4])\ntask c : binary = t label click\ntrain {\n  optimizer: adamm(lr: 0.001)\n}\n## trailing doc comment\n",
    code: "MTL3001",
    line: 7,
  },
  {
    label: "unknown expert in a gate, then a detached doc comment",
    source: "model m\nfeature a : numeric()\ninput x = concat(a)\nexpert e[2] = mlp(x, [4])\ngate g = softmax(x) over e, nope\n## detached\n\ntower t = mlp(g, [4])\ntask c : binary = t label click\n",
    code: "MTL2001",
    line: 5,
  },
];

for (const c of CASES) {
  test(`${c.label}: the error is still reported (${c.code}), no IR, no exception`, () => {
    let result;
    try {
      result = compileSource(c.source, "spec.mtl");
    } catch (error) {
      assert.fail(`compileSource threw: ${(error as Error).message.split("\n")[0]}`);
    }
    assertWellFormed(result.diagnostics, result.text, "spec.mtl");
    assert.ok(result.diagnostics.some((d) => d.code === "MTL1007"), "the detached doc comment is not reported");
    const error = result.diagnostics.find((d) => d.code === c.code);
    assert.ok(error, `${c.code} is missing; got ${result.diagnostics.map((d) => d.code).join(", ") || "nothing"}`);
    assert.equal(error.range.start.line, c.line);
    assert.equal(result.ir, undefined, "an IR was produced for a spec with an error");
  });
}

test("the same specs through the CLI exit 1 with the error, never an internal error", () => {
  const paths = CASES.map((c, i) => {
    const path = join(tmp.dir, `regression-${i}.mtl`);
    writeFileSync(path, c.source);
    return path;
  });
  for (const [i, path] of paths.entries()) {
    const result = runCli(CLI, ["check", path]);
    assertNoCrash(result, CASES[i]!.label);
    assert.equal(result.status, 1, `${CASES[i]!.label}: exit ${result.status}`);
    assert.match(result.stdout, new RegExp(`:${CASES[i]!.line}:\\d+: error ${CASES[i]!.code}: `));
  }
});

test("a detached doc comment alone is only a warning: the spec still compiles", () => {
  const source = "model m\nfeature a : numeric()\n## detached doc comment\n\ninput x = concat(a)\ntower t = mlp(x, [4])\ntask c : binary = t label click\n";
  const result = compileSource(source, "spec.mtl");
  assert.deepEqual(result.diagnostics.map((d) => [d.code, d.severity, d.range.start.line]), [["MTL1007", "warning", 3]]);
  assert.ok(result.ir);
  assert.deepEqual(validateIr(result.ir), []);
});

test("a syntax error still suppresses the cascade of its own declaration only", () => {
  // The broken feature's semantic complaints are dropped, the next
  // declaration's real error is not.
  const source = "model m\nfeature a : numeric(transform: )\ninput x = concat(a, nope)\ntower t = mlp(x, [4])\ntask c : binary = t label click\n";
  const result = compileSource(source, "spec.mtl");
  assertWellFormed(result.diagnostics, result.text, "spec.mtl");
  assert.ok(result.diagnostics.some((d) => d.code === "MTL1003" && d.range.start.line === 2), "the syntax error is missing");
  assert.ok(result.diagnostics.some((d) => d.code === "MTL2001" && d.range.start.line === 3), "the next declaration's error was hidden");
  assert.equal(result.ir, undefined);
});

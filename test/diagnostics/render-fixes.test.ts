import assert from "node:assert/strict";
import { test } from "node:test";
import { compileSource } from "../../src/compiler.js";
import { renderJson } from "../../src/diagnostics/render-json.js";
import { renderSarif } from "../../src/diagnostics/render-sarif.js";

/** An unknown name with a suggestion (line 4) and an unused feature (line 2), which has no fix. */
const TEXT = "model m\nfeature spare : numeric()\nfeature price : numeric()\ntower t = mlp(prise, [4])\ntask ctr : binary = t label click\n";
const MESSAGE = "Cannot find 'prise'. Declare it, or fix the spelling. Did you mean 'price'?";

test("JSON: a fix is an additive field (1-based range, end exclusive, newText); the rest is unchanged", () => {
  const { diagnostics } = compileSource(TEXT, "/work/t.mtl");
  const json = JSON.parse(renderJson(diagnostics)) as Record<string, unknown>[];
  const unknown = json.find((d) => d["code"] === "MTL2001")!;
  assert.deepEqual(unknown, {
    file: "/work/t.mtl",
    code: "MTL2001",
    rule: "unknown-name",
    severity: "error",
    message: MESSAGE,
    range: { start: { line: 4, column: 15 }, end: { line: 4, column: 20 } },
    fixes: [{ title: "Change 'prise' to 'price'", range: { start: { line: 4, column: 15 }, end: { line: 4, column: 20 } }, newText: "price" }],
  });
  const unused = json.find((d) => d["code"] === "MTL2006")!;
  assert.ok(!("fixes" in unused), "no fixes field when there is no fix");
});

test("SARIF: a fix is a result's fixes[] with one artifact change and one replacement", () => {
  const { diagnostics } = compileSource(TEXT, "/work/t.mtl");
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const log = JSON.parse(renderSarif(diagnostics, { version: "0.1.0", baseDir: "/work" })) as any;
  const results = log.runs[0].results as any[];
  const unknown = results.find((r) => r.ruleId === "MTL2001");
  assert.equal(unknown.message.text, MESSAGE);
  assert.deepEqual(unknown.fixes, [
    {
      description: { text: "Change 'prise' to 'price'" },
      artifactChanges: [
        {
          artifactLocation: { uri: "t.mtl" },
          replacements: [{ deletedRegion: { startLine: 4, startColumn: 15, endLine: 4, endColumn: 20 }, insertedContent: { text: "price" } }],
        },
      ],
    },
  ]);
  assert.equal(results.find((r) => r.ruleId === "MTL2006").fixes, undefined);
});

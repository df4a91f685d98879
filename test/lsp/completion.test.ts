import assert from "node:assert/strict";
import { test } from "node:test";
import { complete } from "../../src/lsp/completion.js";

const labels = (text: string) => complete(text, text.length, undefined).map((i) => i.label);

test("a document that starts with a blank line gets declaration keywords (this looped forever)", () => {
  assert.ok(labels("\nfe").includes("feature"));
  assert.ok(labels("\n\n\n").includes("task"));
});

test("completion after 2 MB of declarations reads only the window before the cursor", () => {
  const filler = "feature f : numeric()\n".repeat(100_000);
  const started = performance.now();
  assert.deepEqual(labels(filler + "feature g : ").sort(), ["categorical", "numeric", "sequence"]);
  assert.deepEqual(labels(filler + "input x = "), ["concat"]);
  assert.ok(performance.now() - started < 1_000, `${(performance.now() - started).toFixed(0)} ms`);
});

test("a 2 MB name before the cursor is scanned once, not once per character", () => {
  const text = 'model m "x"\ntask t : binary = ' + "a".repeat(2_000_000) + " ";
  const started = performance.now();
  assert.deepEqual(labels(text), []); // the line is longer than the window: nothing to offer
  assert.deepEqual(labels('model m "x"\ntask t : binary = ' + "a".repeat(2_000) + " ").sort(), ["label", "loss", "weight", "where"]);
  assert.ok(performance.now() - started < 1_000, `${(performance.now() - started).toFixed(0)} ms`);
});

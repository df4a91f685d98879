import assert from "node:assert/strict";
import { test } from "node:test";
import { CompletionItemKind, type CompletionItem } from "vscode-languageserver/node.js";
import { analyze } from "../../src/lsp/analysis.js";
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
  assert.deepEqual(labels('model m "x"\ntask t : binary = ' + "a".repeat(2_000) + " ").sort(), ["after", "calibrate", "debias", "label", "loss", "sample_weight", "weight", "where"]);
  assert.ok(performance.now() - started < 1_000, `${(performance.now() - started).toFixed(0)} ms`);
});

const WITH_DATA = `model m
feature a : numeric()
tower t = mlp(a, [4])
task ctr : binary = t label click
task cvr : binary = t label purchase where stage
data { columns: [a, click, purchase, "is clicked", stage] }
`;

/** Completion at `marker`'s place in `text` (the marker removed), with the analysis of that text. */
function at(text: string, marker: string, tail = ""): CompletionItem[] {
  const offset = text.indexOf(marker) + marker.length;
  const edited = text.slice(0, offset) + tail + text.slice(offset);
  return complete(edited, offset + tail.length, analyze("file:///c.mtl", 1, edited));
}

test("after `where`: any column the data block lists and the other binary tasks' labels, not the task's own label", () => {
  const items = at(WITH_DATA, "label purchase where ").filter((i) => i.kind !== CompletionItemKind.Keyword);
  assert.deepEqual(items.map((i) => i.label).sort(), ["a", "click", "is clicked", "stage"]);
  assert.equal(items.find((i) => i.label === "is clicked")?.insertText, '"is clicked"', "a column that is not a name is inserted as a string");
  // Without a data block, the binary labels are what is known.
  assert.deepEqual(labels("model m\ntask a : binary = x label click\ntask b : binary = x label buy\ntask c : binary = x where "), []);
  const spec = "model m\ntower x = mlp(y, [1])\ntask a : binary = x label click\ntask b : binary = x label buy\n";
  assert.deepEqual(complete(spec + "task c : binary = x where ", spec.length + 26, analyze("file:///d.mtl", 1, spec + "task c : binary = x where ")).map((i) => i.label).sort(), ["buy", "click"]);
});

test("after `after`: the other tasks, which AITM's transfer may come from", () => {
  assert.deepEqual(at(WITH_DATA, "task cvr : binary = t label purchase ", "after ").map((i) => i.label).sort(), ["ctr"]);
});

test("after `label`: the columns the data block lists", () => {
  assert.deepEqual(at(WITH_DATA, "task ctr : binary = t label ", "").map((i) => i.label).sort(), ["a", "click", "is clicked", "purchase", "stage"]);
});

test("keywords where the grammar allows them: `is` after a column, `over` after a gate's call, clauses not yet given", () => {
  assert.deepEqual(labels("task t : binary = x label click "), ["is", "where", "weight", "sample_weight", "loss", "after", "calibrate", "debias"]);
  assert.deepEqual(labels("task t : binary = x where click is 1 loss bce after a "), ["label", "weight", "sample_weight", "calibrate", "debias"]);
  assert.deepEqual(labels("task t : binary = x where click debias ips(ctr) "), ["label", "weight", "sample_weight", "loss", "after", "calibrate"]);
  assert.deepEqual(labels("gate g = softmax(x) "), ["over"]);
  assert.deepEqual(labels("gate g = softmax(x) over e "), []);
  // Declaration keywords only where a declaration can start: a line of its own after a finished declaration.
  assert.ok(labels("task t : binary = x\n").includes("feature"));
  assert.ok(!labels("feature f : numeric(\n").includes("feature"));
  // A group's count stays in what content assist sees (`e[]` is no declaration).
  assert.ok(labels("expert e[8] = mlp(x, [16, 8])\n").includes("gate"));
  assert.deepEqual(labels("expert e[8] = mlp(x, [16, 8], "), ["activation", "dropout", "batchnorm", "init"]);
});

test("a soft keyword used as a name is a name: `feature label` gets its options", () => {
  assert.deepEqual(labels("feature label : numeric(column: weight, ").sort(), ["fill", "normalize", "transform"]);
  assert.deepEqual(labels("feature weight : numeric(normalize: "), ["none", "zscore", "minmax"]);
});

test("nothing is offered after a syntax error earlier in the declaration", () => {
  // The parser, not a guess: `log1p normalize` is not a prefix of any spec.
  assert.deepEqual(labels("feature f : numeric(transform: log1p normalize: "), []);
});

test("a declaration with a list of thousands of items: completion after it, and inside it, answers quickly", () => {
  const columns = Array.from({ length: 6_000 }, (_, i) => `c${i}`).join(", ");
  const started = performance.now();
  assert.deepEqual(labels(`model m\ndata { columns: [${columns}], format: `), ["csv", "jsonl", "parquet"]);
  assert.deepEqual(labels(`model m\ntower t = mlp(x, [${columns.replace(/c/g, "")}], `).sort(), ["activation", "batchnorm", "dropout", "init"]);
  assert.deepEqual(labels(`model m\ndata { columns: [${columns}, `), []);
  assert.ok(performance.now() - started < 3_000, `${(performance.now() - started).toFixed(0)} ms`);
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { compileSource } from "../../src/compiler.js";
import { rangeText, unmark } from "../helpers/marked.js";

/**
 * A problem the checker has reported is not reported again as its
 * consequences: each case's «marked» diagnostic is the only one.
 */
const BASE = `model m "x"
feature a : numeric()
input x = concat(*)
expert e[4] = mlp(x, [8])
gate g = softmax(x) over e
tower t = mlp(g, [4])
task k : binary = t label click
`;

const CASES: { name: string; spec: string; code: string; says?: RegExp; ignore?: string }[] = [
  // The rejected count is no count of 1: no "gate mixes a single expert".
  { name: "an expert count out of range", spec: BASE.replace("e[4]", "e[«100000»]"), code: "MTL3004" },
  // The task is left out as a duplicate, yet the spec does declare one: no "declares no task".
  // (The tower the left-out task reads is reported unused: known, and left.)
  { name: "the only task named like a tower", spec: BASE.replace("task k", "task «t»"), code: "MTL2002", ignore: "MTL2006" },
  // The parser dropped the model declaration: no "has no 'model' declaration".
  { name: "a model name the lexer rejects", spec: BASE.replace('model m "x"', 'model «мод» "x"'), code: "MTL1008" },
  { name: "a misspelt 'model'", spec: BASE.replace("model m", "«modle» m"), code: "MTL1003", says: /Did you mean 'model'\?/ },
  // The tower the broken task reads is not "declared but never used" either.
  { name: "a misspelt 'task'", spec: BASE.replace("task k", "«tsak» k"), code: "MTL1003", says: /Did you mean 'task'\?/ },
  // The gate the misspelt declaration declares is not "cannot find 'g'" where the tower reads it.
  { name: "a misspelt 'gate'", spec: BASE.replace("gate g", "«gaet» g"), code: "MTL1003", says: /Did you mean 'gate'\?/ },
  { name: "an unknown word for 'gate'", spec: BASE.replace("gate g", "«mixture» g"), code: "MTL1003" },
  // Recovery takes 'ove' for the expert group after a missing 'over': the 'e' left over is no second error.
  { name: "a misspelt 'over'", spec: BASE.replace("over e", "«ove» e"), code: "MTL1003", says: /Did you mean 'over'\?/ },
  // Recovery inserts the missing name and reads on: the next declaration's keyword is no second error.
  { name: "a half-typed feature before another declaration", spec: BASE.replace("input x", "feature «:»\ninput x"), code: "MTL1003" },
  { name: "a half-typed task at the end of the file", spec: BASE + "task z :«»", code: "MTL1003" },
  // A name in letters outside ASCII is one name, not a run of bad characters between two names.
  { name: "an accented name", spec: BASE.replace("feature a", "feature «aé_b»"), code: "MTL1008", says: /Rename it, e\.g\. 'ae_b'/ },
];

for (const c of CASES) {
  test(`${c.name}: one diagnostic, no follow-on errors`, () => {
    const { text, start, end } = unmark(c.spec);
    const diagnostics = compileSource(text, "f.mtl").diagnostics.filter((d) => d.code !== c.ignore);
    assert.deepEqual(
      diagnostics.map((d) => `${d.code} '${rangeText(text, d)}'`),
      [`${c.code} '${text.slice(start, end)}'`],
      diagnostics.map((d) => d.message).join("\n"),
    );
    if (c.says) assert.match(diagnostics[0]!.message, c.says);
  });
}

test("a misspelt keyword carries the fix that 'mtl check --fix' and editors apply", () => {
  const { text, start, end } = unmark(BASE.replace("label click", "«lbael» click"));
  const [d] = compileSource(text, "f.mtl").diagnostics.filter((x) => x.code === "MTL1003");
  assert.ok(d);
  assert.deepEqual(d.fixes?.map((f) => ({ from: f.range.start.offset, to: f.range.end.offset, newText: f.newText, title: f.title })), [
    { from: start, to: end, newText: "label", title: "Change 'lbael' to 'label'" },
  ]);
});

test("a name far from every keyword, or too short to tell, gets no keyword suggestion", () => {
  for (const name of ["bogus", "i", "lo"]) {
    const messages = compileSource(BASE.replace("label click", `${name} click`), "f.mtl").diagnostics.map((d) => d.message);
    assert.ok(messages.some((m) => m.includes(`found the name '${name}'`)), messages.join("\n"));
    assert.ok(messages.every((m) => !m.includes("Did you mean")), messages.join("\n"));
  }
});

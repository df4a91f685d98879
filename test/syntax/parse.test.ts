import assert from "node:assert/strict";
import { test } from "node:test";
import type { FeatureDecl, GateDecl, TaskDecl } from "../../src/syntax/ast.js";
import { MAX_NESTING } from "../../src/syntax/lexer.js";
import { parseBytes, parseText } from "../../src/syntax/parse.js";

test("three separate syntax errors are all reported, with position and expected tokens in words", () => {
  const text = [
    "model m",
    "feature a : categorical(buckets 10, dim: 4)", // missing ':' after buckets
    "input x = concat(a",                          // missing ')'
    "tower t = mlp(x, [64])",
    "gate g = softmax(x) over",                    // missing expert name
    "task ctr : binary = t label click",
  ].join("\n");
  const errors = parseText(text, "s.mtl").diagnostics.filter((d) => d.code === "MTL1003");
  assert.deepEqual(
    errors.map((d) => [d.range.start.line, d.range.start.column, d.message]),
    [
      [2, 33, "Expected ':', ',' or ')', but found the number 10."],
      [4, 1, "Expected ',' or ')', but found the keyword 'tower'."],
      [6, 1, "Expected a name, but found the keyword 'task'."],
    ],
  );
});

test("after a bare name in a call, the missing ':' is named with the ',' or ')' (it is the likelier fix); after a value it is not", () => {
  const message = (call: string) => parseText(`model m\nfeature a : ${call}\n`, "s.mtl").diagnostics.map((d) => d.message);
  assert.deepEqual(message("numeric(transform log1p)"), ["Expected ':', ',' or ')', but found the name 'log1p'."]);
  assert.deepEqual(message("categorical(dim: 4, buckets 10)"), ["Expected ':', ',' or ')', but found the number 10."]);
  assert.deepEqual(message("numeric(transform: log1p normalize: zscore)"), ["Expected ',' or ')', but found the name 'normalize'."]);
  assert.deepEqual(message("categorical(vocab: [\"a\"] dim: 4)"), ["Expected ',' or ')', but found the name 'dim'."]);
  assert.deepEqual(message("numeric(x"), ["Expected ',' or ')', but found the end of the file."]);
  assert.deepEqual(message("numeric(x [4])"), ["Expected ',' or ')', but found '['."]);
});

test("declarations after a syntax error are still parsed", () => {
  const { ast } = parseText("model m\nfeature a : ( \ntower t = mlp(x, [8])\ntask c : binary = t label y\n", "s.mtl");
  assert.deepEqual(ast.decls.map((d) => d.kind), ["model", "feature", "tower", "task"]);
});

test("an error at the end of the file points just after the last token", () => {
  const { diagnostics } = parseText("model m\ntower t = mlp(x, [8]", "s.mtl");
  const d = diagnostics.find((x) => x.code === "MTL1003")!;
  assert.equal(d.message, "Expected ',' or ')', but found the end of the file.");
  assert.deepEqual([d.range.start.line, d.range.start.column], [2, 21]);
});

test("every node carries its source range", () => {
  const text = "model m\nfeature user_id : categorical(buckets: 100_000, dim: 16)\n";
  const feature = parseText(text, "s.mtl").ast.decls[1] as FeatureDecl;
  const slice = (r: { start: { offset: number }; end: { offset: number } }) => text.slice(r.start.offset, r.end.offset);
  assert.equal(slice(feature.range), "feature user_id : categorical(buckets: 100_000, dim: 16)");
  assert.equal(slice(feature.name.range), "user_id");
  assert.equal(slice(feature.ctor!.range), "categorical(buckets: 100_000, dim: 16)");
  const buckets = feature.ctor!.options[0]!;
  assert.equal(slice(buckets.range), "buckets: 100_000");
  assert.deepEqual(buckets.value.kind === "number" && [buckets.value.value, buckets.value.text], [100000, "100_000"]);
  assert.deepEqual([feature.name.range.start.line, feature.name.range.start.column], [2, 9]);
});

test("a declaration broken half-way keeps what was parsed, and its range ends at its last real token", () => {
  const text = [
    "gate g = softmax(x) over a, b,", // dangling ',' (consumed by the separator loop)
    "feature f : categorical(buckets: 10, dim: )", // a value missing
    "train { batch: }",
    "task t : binary = a *",
  ].join("\n");
  const { ast } = parseText(text, "s.mtl");
  const slice = (r: { start: { offset: number }; end: { offset: number } }) => text.slice(r.start.offset, r.end.offset);
  assert.deepEqual(ast.decls.map((d) => slice(d.range)), [
    "gate g = softmax(x) over a, b,",
    "feature f : categorical(buckets: 10, dim: )",
    "train { batch: }",
    "task t : binary = a *",
  ]);
  assert.deepEqual((ast.decls[0] as GateDecl).over.map((n) => n.text), ["a", "b"]);
  // A value that failed before its first token still keeps its option, as an empty list.
  const dim = (ast.decls[1] as FeatureDecl).ctor!.options[1]!;
  assert.equal(dim.name.text, "dim");
  assert.deepEqual([dim.value.kind, dim.value.range.start.offset], ["list", 0]);
  const train = ast.decls[2]!;
  assert.deepEqual(train.kind === "train" && train.entries.map((e) => e.name.text), ["batch"]);
});

test("doc comments attach to the declaration right below them, and only that one", () => {
  const text = [
    "## The model.",
    "model m",
    "## Line one",
    "##   indented line two",
    "feature a : numeric()",
    "feature b : numeric() ## trailing, not a doc of c",
    "feature c : numeric()",
    "## detached",
    "",
    "feature d : numeric()",
  ].join("\n");
  const { ast, diagnostics } = parseText(text, "s.mtl");
  assert.deepEqual(ast.decls.map((d) => d.doc), ["The model.", "Line one\n  indented line two", undefined, undefined, undefined]);
  assert.deepEqual(diagnostics.map((d) => [d.code, d.range.start.line]), [["MTL1007", 8]]);
});

test("clause keywords are soft: a column may be called label, weight or where", () => {
  const { ast, diagnostics } = parseText("task t : binary = label * where label weight where weight weight 2\n", "s.mtl");
  assert.deepEqual(diagnostics, []);
  const task = ast.decls[0] as TaskDecl;
  assert.deepEqual(task.factors.map((f) => f.text), ["label", "where"]);
  assert.equal(task.label?.column.text, "weight");
  assert.equal(task.where?.column.text, "weight");
  assert.equal(task.weight?.value, 2);
});

test("a column with spaces is written as a string", () => {
  const task = parseText('task t : binary = x label "class of worker" is "Never married"\n', "s.mtl").ast.decls[0] as TaskDecl;
  assert.equal(task.label?.column.text, "class of worker");
  assert.deepEqual(task.label?.positives.map((v) => v.kind === "string" && v.value), ["Never married"]);
});

test("gates list their experts; trailing commas are allowed in calls and lists", () => {
  const { ast, diagnostics } = parseText("gate g = softmax(x,) over a, b, c\nexpert e = mlp(x, [8, 4,],)\n", "s.mtl");
  assert.deepEqual(diagnostics, []);
  assert.deepEqual((ast.decls[0] as GateDecl).over.map((n) => n.text), ["a", "b", "c"]);
});

test("strings unescape, and an unterminated one is reported once", () => {
  const ok = parseText('model m "say \\"hi\\"\\n"\n', "s.mtl");
  assert.equal(ok.ast.decls[0]!.kind === "model" && ok.ast.decls[0].description?.value, 'say "hi"\n');
  const bad = parseText('model m "open\nfeature a : numeric()\n', "s.mtl");
  assert.deepEqual(bad.diagnostics.map((d) => d.code), ["MTL1002"]);
  assert.equal(bad.ast.decls.length, 2);
});

test("nesting deeper than the limit is cut and reported once, without a stack overflow", () => {
  const depth = 10_000;
  const text = `model m\nexpert e = mlp(x, ${"[".repeat(depth)}1${"]".repeat(depth)})\ntower t = mlp(e, [4])\n`;
  const { ast, diagnostics } = parseText(text, "s.mtl");
  const deep = diagnostics.filter((d) => d.code === "MTL1005");
  assert.equal(deep.length, 1);
  // mlp's '(' is level 1, so the first bracket past the limit is the MAX_NESTING-th '['.
  assert.equal(deep[0]!.range.start.column, "expert e = mlp(x, ".length + MAX_NESTING);
  assert.ok(ast.decls.some((d) => d.kind === "tower"), "the declaration after the deep one is still parsed");
});

test("invalid UTF-8 is reported at its line, and the rest of the file is still checked", () => {
  const head = Buffer.from("model m\nfeature a : numeric()\nfeature b");
  const bytes = Buffer.concat([head, Buffer.from([0xff, 0xfe]), Buffer.from(" : numeric()\nfeature c : numeric(\n")]);
  const { diagnostics } = parseBytes(bytes, "s.mtl");
  const utf8 = diagnostics.filter((d) => d.code === "MTL1004");
  assert.equal(utf8.length, 1);
  assert.deepEqual([utf8[0]!.range.start.line, utf8[0]!.range.start.column], [3, 10]);
  assert.match(utf8[0]!.message, /2 invalid byte sequences/);
  assert.ok(diagnostics.some((d) => d.code === "MTL1003" && d.range.start.line >= 4), "the later syntax error is reported too");
  assert.equal(diagnostics.filter((d) => d.code === "MTL1001").length, 0, "replacement characters are not reported twice");
});

test("unexpected characters are grouped into one diagnostic per run", () => {
  const { diagnostics } = parseText("model m @@@ \nfeature a : numeric() $\n", "s.mtl");
  assert.deepEqual(diagnostics.map((d) => [d.code, d.range.start.line, d.range.start.column, d.range.end.column]), [
    ["MTL1001", 1, 9, 12],
    ["MTL1001", 2, 23, 24],
  ]);
});

test("a feature group: the count in brackets, with its own range; without brackets there is none", () => {
  const text = "model m\nfeature C[26] : categorical(buckets: 100_000, dim: 16)\nfeature price : numeric()\n";
  const { ast, diagnostics } = parseText(text, "s.mtl");
  assert.deepEqual(diagnostics, []);
  const group = ast.decls[1] as FeatureDecl;
  const slice = (r: { start: { offset: number }; end: { offset: number } }) => text.slice(r.start.offset, r.end.offset);
  assert.equal(slice(group.range), "feature C[26] : categorical(buckets: 100_000, dim: 16)");
  assert.equal(slice(group.name.range), "C");
  assert.deepEqual([group.count?.value, group.count?.text, slice(group.count!.range)], [26, "26", "26"]);
  assert.deepEqual([group.count!.range.start.line, group.count!.range.start.column], [2, 11]);
  assert.equal(group.ctor?.callee.text, "categorical");
  assert.equal((ast.decls[2] as FeatureDecl).count, undefined);
});

test("a feature group's count must be a number, and the brackets must close", () => {
  const errors = (text: string) => parseText(`model m\n${text}\n`, "s.mtl").diagnostics.map((d) => [d.code, d.message]);
  assert.deepEqual(errors("feature C[n] : numeric()"), [["MTL1003", "Expected a number, but found the name 'n'."]]);
  assert.deepEqual(errors("feature C[3 : numeric()"), [["MTL1003", "Expected ']', but found ':'."]]);
  assert.deepEqual(errors("feature C[] : numeric()"), [["MTL1003", "Expected a number, but found ']'."]]);
});

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { test } from "node:test";
import { compileSource } from "../../src/compiler.js";
import { formatParsed, formatSource, PRINT_WIDTH } from "../../src/format/index.js";
import { significantTokens } from "../../src/format/verify.js";
import { parseText } from "../../src/syntax/parse.js";
import { exampleSpecs, repoRoot } from "../helpers/paths.js";

const ROOT = repoRoot();

function fmt(text: string): string {
  const result = formatSource(text, "x.mtl");
  assert.deepEqual(result.diagnostics, [], "no diagnostics for a spec that parses");
  assert.ok(result.text !== undefined, "formatted text");
  return result.text;
}

/** Formatting keeps the tokens and comments, is idempotent, and keeps what the spec means. */
function assertGoodFormat(source: string, formatted: string, what: string): void {
  assert.deepEqual(significantTokens(formatted), significantTokens(source), `${what}: tokens and comments unchanged`);
  assert.equal(fmt(formatted), formatted, `${what}: idempotent`);
  const before = parseText(source, "x.mtl");
  const after = parseText(formatted, "x.mtl");
  assert.deepEqual(
    after.ast.decls.map((d) => [d.kind, "name" in d ? d.name.text : "", d.doc]),
    before.ast.decls.map((d) => [d.kind, "name" in d ? d.name.text : "", d.doc]),
    `${what}: same declarations, doc comments attached to the same declarations`,
  );
  assert.deepEqual(after.ast.strayDocs.map((d) => d.text), before.ast.strayDocs.map((d) => d.text), `${what}: same detached doc comments`);
  assert.doesNotMatch(formatted, /[ \t]$/m, `${what}: no trailing whitespace`);
  assert.doesNotMatch(formatted, /\n\n\n/, `${what}: no runs of blank lines`);
  assert.ok(formatted === "" || (formatted.endsWith("\n") && !formatted.endsWith("\n\n")), `${what}: ends with exactly one newline`);
}

test("every example spec formats: tokens kept, idempotent, same meaning", () => {
  for (const file of exampleSpecs()) {
    const source = readFileSync(file, "utf8");
    const formatted = fmt(source);
    assertGoodFormat(source, formatted, basename(file));
    const codes = (text: string) => compileSource(text, file).diagnostics.map((d) => d.code);
    assert.deepEqual(codes(formatted), codes(source), `${basename(file)}: same diagnostics`);
    assert.deepEqual(compileSource(formatted, file).ir, compileSource(source, file).ir, `${basename(file)}: same IR`);
  }
});

test("every example spec is already in the canonical layout (what \`mtl fmt --check\` checks)", () => {
  const unformatted = exampleSpecs().filter((file) => fmt(readFileSync(file, "utf8")) !== readFileSync(file, "utf8"));
  assert.deepEqual(unformatted.map((f) => basename(f)), [], "run \`mtl fmt specs/*.mtl\`");
});

test("specs/esmm.mtl formats to the canonical layout", () => {
  const source = readFileSync(join(ROOT, "specs", "esmm.mtl"), "utf8");
  const header = source.slice(0, source.indexOf("model esmm"));
  assert.equal(
    fmt(source),
    header +
      `model esmm "ESMM: pCTCVR = pCTR * pCVR, trained on the entire impression space"

feature user_id  : categorical(buckets: 10_000, dim: 16)
feature item_id  : categorical(buckets: 10_000, dim: 16)
feature category : categorical(buckets: 100, dim: 8)
feature price    : numeric(transform: log1p, normalize: zscore)

## The embeddings above are shared by both networks.
input x = concat(*)

tower ctr_tower = mlp(x, [128, 64, 32], dropout: 0.1)
tower cvr_tower = mlp(x, [128, 64, 32], dropout: 0.1)

## p(click | impression)
task ctr   : binary = ctr_tower label click
## p(buy | click, impression): latent, trained only through ctcvr.
task cvr   : binary = cvr_tower
## p(click & buy | impression); \`purchase\` is 1 only on clicked rows that bought.
task ctcvr : binary = ctr * cvr label purchase

train {
  optimizer: adam(lr: 0.001)
  batch: 512
  epochs: 2
  seed: 7
}
`,
  );
});

test("a long data columns list wraps at 100 columns, filled, with a trailing comma", () => {
  const source = readFileSync(join(ROOT, "specs", "census-mmoe.mtl"), "utf8");
  const formatted = fmt(source);
  const lines = formatted.split("\n");
  const open = lines.indexOf("  columns: [");
  const close = lines.indexOf("  ]");
  assert.ok(open > 0 && close > open + 1, formatted);
  const items = lines.slice(open + 1, close);
  for (const l of items) {
    assert.ok(l.startsWith("    ") && !l.startsWith("     "), `items indented 4: '${l}'`);
    assert.ok(l.length <= PRINT_WIDTH, `fits in ${PRINT_WIDTH}: '${l}'`);
    assert.ok(l.endsWith(","), `every line ends with a comma: '${l}'`);
  }
  assert.match(items[items.length - 1]!, /[ ,]income,$/, "the last item has a trailing comma");
  // Filled: no line could take the next line's first item.
  for (let k = 0; k + 1 < items.length; k++) {
    const nextFirst = items[k + 1]!.trim().split(" ")[0]!;
    assert.ok(items[k]!.length + 1 + nextFirst.length > PRINT_WIDTH, `line ${k} could hold '${nextFirst}'`);
  }
});

test("whitespace is normalised; blank lines collapse to one; lists that fit lose a trailing comma", () => {
  const source = `\n\n\nmodel   m\t"d"\n\n\n\nfeature a:categorical(buckets:10,dim:4,)\nfeature bb : numeric( normalize :zscore )\ninput x=concat( a , bb , )\nexpert e [ 2 ]=mlp(x,[64,32,],activation:relu)\ngate g=softmax(x)over e\ntower t=mlp(g,[8])\ntask ctr:binary=t label click where click  weight 1e-3 loss bce\ntask p : binary = ctr*ctr label "a b" is "yes"\n\n\n`;
  const formatted = fmt(source);
  assert.equal(
    formatted,
    `model m "d"

feature a  : categorical(buckets: 10, dim: 4)
feature bb : numeric(normalize: zscore)
input x = concat(a, bb)
expert e[2] = mlp(x, [64, 32], activation: relu)
gate g = softmax(x) over e
tower t = mlp(g, [8])
task ctr : binary = t         label click where click weight 1e-3 loss bce
task p   : binary = ctr * ctr label "a b" is "yes"
`,
  );
  assertGoodFormat(source, formatted, "messy");
});

test("several values after 'is', in labels and wheres: one space around each '|'", () => {
  const source = `model m\nfeature a : numeric()\ntower t = mlp(a, [4])\ntask p : binary = t label "a b" is "x"|"y"   |  "z" where stage is 1|"two"\n`;
  const formatted = fmt(source);
  assert.equal(formatted.split("\n")[3], 'task p : binary = t label "a b" is "x" | "y" | "z" where stage is 1 | "two"');
  assertGoodFormat(source, formatted, "values");
});

test("comments stay where they were: trailing on their line, own-line on their own line", () => {
  const source = `

model   m "d"    # trailing model
# own line



feature a:categorical(buckets:10,dim:4,)   # t1
feature bbbb : numeric( # inside call
   normalize: zscore)
## doc
feature c:categorical(vocab:["x","y",   # in list
  "z"   ,  ],dim:4)
input x=concat(*)
task t:binary=a*
  # own line in task
  c label "the col" is "yes" where z  weight 2 loss huber(delta:1)
train{ # after brace
  optimizer:adam ,batch:5,

  # comment in block
  epochs:3 # after epochs
  # before close
}   # after close
data {}
data { # only
}
# end
`;
  const formatted = fmt(source);
  assert.equal(
    formatted,
    `model m "d"  # trailing model
# own line

feature a : categorical(buckets: 10, dim: 4)  # t1
feature bbbb : numeric(  # inside call
  normalize: zscore)
## doc
feature c : categorical(vocab: [
    "x", "y",  # in list
    "z",
  ], dim: 4)
input x = concat(*)
task t : binary = a *
  # own line in task
  c label "the col" is "yes" where z weight 2 loss huber(delta: 1)
train {  # after brace
  optimizer: adam,
  batch: 5,

  # comment in block
  epochs: 3  # after epochs
  # before close
}  # after close
data {}
data {  # only
}
# end
`,
  );
  assertGoodFormat(source, formatted, "comments");
});

test("doc comments stay attached, and a detached one stays detached", () => {
  const source = `## the model\nmodel m\n\n## detached\n\nfeature a : numeric()\n   ## documents b\n   feature b : numeric()\n`;
  const formatted = fmt(source);
  assert.equal(formatted, `## the model\nmodel m\n\n## detached\n\nfeature a : numeric()\n## documents b\nfeature b : numeric()\n`);
  assertGoodFormat(source, formatted, "docs");
});

test("alignment: runs of one-line declarations of one kind, broken by blank lines and other kinds", () => {
  const source = `model m\nfeature a : numeric()\nfeature long_name : numeric()\n\nfeature b : numeric()\ntower t = mlp(a, [1])\ntower tt = mlp(a, [1])\n# a comment keeps the run\ntower ttt = mlp(a, [1])\n`;
  assert.equal(
    fmt(source),
    `model m\nfeature a         : numeric()\nfeature long_name : numeric()\n\nfeature b : numeric()\ntower t   = mlp(a, [1])\ntower tt  = mlp(a, [1])\n# a comment keeps the run\ntower ttt = mlp(a, [1])\n`,
  );
});

test("a spec with syntax errors is not formatted: the errors come back instead", () => {
  const result = formatSource(`model m\nfeature a : numeric(\n`, "bad.mtl");
  assert.equal(result.text, undefined);
  assert.ok(result.diagnostics.length > 0);
  assert.ok(result.diagnostics.every((d) => d.severity === "error" && d.file === "bad.mtl"));
  assert.equal(result.diagnostics[0]!.code, "MTL1003");
  const lexical = formatSource(`model m $\n`, "bad.mtl");
  assert.equal(lexical.text, undefined);
  assert.equal(lexical.diagnostics[0]!.code, "MTL1001");
});

test("semantic errors and warnings do not stop formatting", () => {
  const result = formatSource(`model m\ntask t:binary=nowhere\n## stray\n`, "x.mtl");
  assert.equal(result.text, `model m\ntask t : binary = nowhere\n## stray\n`);
  assert.deepEqual(result.diagnostics, []);
});

test("empty and comment-only files", () => {
  assert.equal(fmt(""), "");
  assert.equal(fmt("  \n\n\t\n"), "");
  assert.equal(fmt("# just a comment   \n\n\n## and a doc\n"), "# just a comment\n\n## and a doc\n");
  assert.equal(fmt("\r\nmodel m\r\n\r\n\r\nfeature a : numeric()\r\n"), "model m\n\nfeature a : numeric()\n");
});

test("formatParsed is the strict form used by the tests: same output", () => {
  for (const file of exampleSpecs()) {
    const source = readFileSync(file, "utf8");
    assert.equal(formatParsed(source), fmt(source));
  }
});

test("feature groups: `NAME[N]` stays together, aligns with plain features, and formats idempotently", () => {
  const source = [
    "model m",
    "feature   I [ 13 ]:numeric(transform: log1p,normalize: zscore)",
    "feature C[26]   :  categorical(buckets: 100_000, dim: 16)  # Criteo C1 … C26",
    "feature price : numeric()",
    "## one",
    "feature one [1] : numeric()",
    "expert e [ 2 ] = mlp(x, [8])",
    "",
  ].join("\n");
  const formatted = fmt(source);
  assert.equal(
    formatted,
    [
      "model m",
      "feature I[13]  : numeric(transform: log1p, normalize: zscore)",
      "feature C[26]  : categorical(buckets: 100_000, dim: 16)  # Criteo C1 … C26",
      "feature price  : numeric()",
      "## one",
      "feature one[1] : numeric()",
      "expert e[2] = mlp(x, [8])",
      "",
    ].join("\n"),
  );
  assertGoodFormat(source, formatted, "feature groups");
  assert.deepEqual(compileSource(formatted, "x.mtl").diagnostics.map((d) => d.code), compileSource(source, "x.mtl").diagnostics.map((d) => d.code));
});

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { test } from "node:test";
import type { IToken } from "chevrotain";
import { allComments, lex } from "../../src/syntax/lexer.js";
import { parseWithTree } from "../../src/syntax/parse.js";
import { LineIndex } from "../../src/syntax/range.js";
import { exampleSpecs } from "../helpers/paths.js";

/** Every token the parse tree holds, each once (the tree links nodes both ways, hence `seen`). */
function treeTokens(root: unknown): IToken[] {
  const out: IToken[] = [];
  const seen = new Set<unknown>();
  const walk = (node: unknown): void => {
    if (typeof node !== "object" || node === null || seen.has(node)) return;
    seen.add(node);
    if ("tokenType" in node && "image" in node) {
      out.push(node as IToken);
      return;
    }
    for (const value of Object.values(node)) walk(value);
  };
  walk(root);
  return out.sort((a, b) => a.startOffset - b.startOffset);
}

test("the parse tree holds every token of a clean spec, so printing it can lose none", () => {
  const texts = [...exampleSpecs().map((f) => [basename(f), readFileSync(f, "utf8")]), ["commas", "model m\nfeature a : categorical(vocab: [\"x\", \"y\",], dim: 4,)\ngate g = softmax(x) over a, b\ntask t : binary = a * b label c is \"y\" | \"z\" where d weight 2 loss bce\ntrain { batch: 3, epochs: 1 }\n"]];
  for (const [name, text] of texts) {
    const { tree, diagnostics } = parseWithTree(text!, name!);
    assert.deepEqual(diagnostics.filter((d) => d.severity === "error"), [], name);
    const lexed = lex(new LineIndex(text!), name!).tokens;
    assert.deepEqual(treeTokens(tree.decls).map((t) => t.startOffset), lexed.map((t) => t.startOffset), name);
  }
});

test("comments and blank lines attach to the token after them", () => {
  const text = "# head\n\nmodel m  # after m\n\n\n# own\n## doc\nfeature a : numeric(  # in call\n  fill: zero)\n# end\n";
  const { tree } = parseWithTree(text, "t.mtl");
  const [model, feature] = tree.decls;
  assert.deepEqual(tree.trivia.before(model!.keyword!), { comments: [{ text: "# head", trailing: false, blankBefore: false }], blankBefore: true });
  assert.deepEqual(tree.trivia.before(model!.name!), { comments: [], blankBefore: false });
  assert.deepEqual(tree.trivia.before(feature!.keyword!), {
    comments: [
      { text: "# after m", trailing: true, blankBefore: false },
      { text: "# own", trailing: false, blankBefore: true },
      { text: "## doc", trailing: false, blankBefore: false },
    ],
    blankBefore: false,
  });
  const fill = feature!.call!.args[0]!.named!.name!;
  assert.deepEqual(tree.trivia.before(fill).comments, [{ text: "# in call", trailing: true, blankBefore: false }]);
  assert.deepEqual(tree.trivia.end, { comments: [{ text: "# end", trailing: false, blankBefore: false }], blankBefore: false });
  // Every comment is attached once, to a token of the tree or to the end.
  const attached = [...treeTokens(tree.decls).map((t) => tree.trivia.before(t)), tree.trivia.end].flatMap((t) => t.comments.map((c) => c.text));
  assert.deepEqual(attached, allComments(lex(new LineIndex(text), "t.mtl")).map((c) => c.image.trimEnd()));
});

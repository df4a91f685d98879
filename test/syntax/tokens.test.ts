import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { test } from "node:test";
import { formatParsed } from "../../src/format/index.js";
import { complete } from "../../src/lsp/completion.js";
import { analyze } from "../../src/lsp/analysis.js";
import { isSingleton, type Decl } from "../../src/syntax/ast.js";
import { lex } from "../../src/syntax/lexer.js";
import { LineIndex } from "../../src/syntax/range.js";
import { DECLARATION_KEYWORDS, KEYWORDS, keywordOf } from "../../src/syntax/tokens.js";
import { exampleSpecs } from "../helpers/paths.js";

/**
 * The token definitions are the one list of keywords: the parser, the
 * formatter (through the parse tree), completion (through content assist)
 * and the TextMate tests (test/grammar) take them from there. These tests
 * fail for a keyword added to the lexer that the example specs never write,
 * that completion does not offer where a spec writes it, or that the
 * formatter loses.
 */

const SPECS = exampleSpecs().map((file) => ({ name: basename(file), text: readFileSync(file, "utf8") }));

function keywordTokens(text: string) {
  return lex(new LineIndex(text), "").tokens.filter((t) => keywordOf(t.tokenType));
}

test("every keyword has a word, a doc and its kind; declaration keywords are the reserved ones", () => {
  for (const type of KEYWORDS) {
    const info = keywordOf(type)!;
    assert.ok(info.word.length > 0 && info.doc.length > 0, type.name);
    assert.equal(info.declaration, !(type.CATEGORIES?.length ?? 0), `${info.word}: a soft keyword is also a name`);
    assert.equal(info.declaration, DECLARATION_KEYWORDS.includes(type));
  }
});

test("every keyword is written by some example spec (so the tests below cover it)", () => {
  const written = new Set(SPECS.flatMap((s) => keywordTokens(s.text).map((t) => t.tokenType)));
  const missing = KEYWORDS.filter((k) => !written.has(k)).map((k) => keywordOf(k)!.word);
  assert.deepEqual(missing, [], "add an example spec that uses it");
});

test("completion offers each keyword where an example spec writes it", () => {
  for (const spec of SPECS) {
    const analysis = analyze(`file:///${spec.name}`, 1, spec.text);
    for (const token of keywordTokens(spec.text)) {
      const word = keywordOf(token.tokenType)!.word;
      const labels = complete(spec.text, token.startOffset, analysis).map((i) => i.label);
      const where = new LineIndex(spec.text).position(token.startOffset);
      // A declaration a spec has one of (model, train, data) is not offered again: this one is it.
      if (keywordOf(token.tokenType)!.declaration && isSingleton(word as Decl["kind"])) continue;
      assert.ok(labels.includes(word), `${spec.name}:${where.line}:${where.column}: '${word}' in [${labels}]`);
    }
  }
});

test("formatting keeps every keyword of every example spec", () => {
  for (const spec of SPECS) {
    const words = (text: string) => keywordTokens(text).map((t) => t.image);
    assert.deepEqual(words(formatParsed(spec.text)), words(spec.text), spec.name);
  }
});

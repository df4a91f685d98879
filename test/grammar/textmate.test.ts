import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { loadReferenceEngineFor } from "./reference-engine.js";
import { Grammar, type RawGrammar, type Token } from "./textmate.js";

/** Small grammars for the corners of the tokenizer the mtl grammar relies on. */
const CASES: { name: string; grammar: RawGrammar; text: string; expected: [string, string][][] }[] = [
  {
    name: "earliest match wins; ties go to the first rule",
    grammar: {
      scopeName: "source.t",
      patterns: [
        { match: "ab", name: "first.t" },
        { match: "a", name: "second.t" },
        { match: "b+", name: "b.t" },
      ],
    },
    text: "xabbb a",
    expected: [[["x", "source.t"], ["ab", "source.t first.t"], ["bb", "source.t b.t"], [" ", "source.t"], ["a", "source.t second.t"]]],
  },
  {
    name: "nested captures, unnamed groups, and a capture 0",
    grammar: {
      scopeName: "source.t",
      patterns: [{ match: "(k)(\\s+)((n)(m)?)", name: "m.t", captures: { 0: { name: "all.t" }, 1: { name: "kw.t" }, 3: { name: "outer.t" }, 4: { name: "inner.t" }, 5: { name: "never.t" } } }],
    },
    text: "k  n",
    expected: [[["k", "source.t m.t all.t kw.t"], ["  ", "source.t m.t all.t"], ["n", "source.t m.t all.t outer.t inner.t"]]],
  },
  {
    name: "begin/end across lines, contentName, end before inner patterns",
    grammar: {
      scopeName: "source.t",
      patterns: [
        {
          begin: "\\(",
          end: "\\)|(?=;)",
          name: "group.t",
          contentName: "inside.t",
          beginCaptures: { 0: { name: "open.t" } },
          endCaptures: { 0: { name: "close.t" } },
          patterns: [{ match: "\\)\\)", name: "never.t" }, { include: "#word" }],
        },
      ],
      repository: { word: { match: "[a-z]+", name: "word.t" } },
    },
    text: "(ab\ncd)) (e; f",
    expected: [
      [["(", "source.t group.t open.t"], ["ab", "source.t group.t inside.t word.t"]],
      [
        ["cd", "source.t group.t inside.t word.t"],
        [")", "source.t group.t close.t"],
        [") ", "source.t"],
        ["(", "source.t group.t open.t"],
        ["e", "source.t group.t inside.t word.t"],
        ["; f", "source.t"],
      ],
    ],
  },
  {
    name: "applyEndPatternLast lets inner patterns win a tie with the end",
    grammar: {
      scopeName: "source.t",
      patterns: [{ begin: "<", end: ">", name: "tag.t", applyEndPatternLast: 1, patterns: [{ match: ">>", name: "shift.t" }] }],
    },
    text: "<a>>b>c",
    expected: [[["<", "source.t tag.t"], ["a", "source.t tag.t"], [">>", "source.t tag.t shift.t"], ["b", "source.t tag.t"], [">", "source.t tag.t"], ["c", "source.t"]]],
  },
  {
    name: "$ ends a rule before the newline, ^ only matches at line start",
    grammar: {
      scopeName: "source.t",
      patterns: [
        { match: "^#.*", name: "start.t" },
        { begin: "\"", end: "\"|$", name: "str.t" },
      ],
    },
    text: "a \"b\n# c #\"",
    expected: [[["a ", "source.t"], ["\"", "source.t str.t"], ["b", "source.t str.t"]], [["# c #\"", "source.t start.t"]]],
  },
];

function render(lines: Token[][], text: string): [string, string][][] {
  const src = text.split("\n");
  return lines.map((tokens, i) => tokens.map((t) => [src[i]!.slice(t.startIndex, t.endIndex), t.scopes.join(" ")] as [string, string]));
}

describe("the test tokenizer", () => {
  for (const c of CASES) {
    test(c.name, () => {
      assert.deepEqual(render(new Grammar(c.grammar).tokenizeText(c.text), c.text), c.expected);
    });
  }

  test("rejects what it does not implement", () => {
    const bad: RawGrammar[] = [
      { scopeName: "s", patterns: [{ match: "\\Ga", name: "x.s" }] },
      { scopeName: "s", patterns: [{ begin: "a", while: "b" }] },
      { scopeName: "s", patterns: [{ match: "(a)", name: "x.$1.s" }] },
      { scopeName: "s", patterns: [{ include: "source.other" }] },
    ];
    for (const g of bad) assert.throws(() => new Grammar(g).tokenizeText("a"));
  });
});

describe("the test tokenizer agrees with vscode-textmate", async () => {
  for (const c of CASES) {
    const reference = await loadReferenceEngineFor(JSON.stringify(c.grammar));
    test(c.name, { skip: reference ? false : "vscode-textmate/vscode-oniguruma not installed (set MTL_TEXTMATE_DIR)" }, () => {
      assert.deepEqual(new Grammar(c.grammar).tokenizeText(c.text), reference!.tokenizeText(c.text));
    });
  }
});

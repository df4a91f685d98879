import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { describe, test } from "node:test";
import { exampleSpecs } from "../helpers/paths.js";
import { formatSnapshot, GRAMMAR_PATH, mtlGrammar, rawGrammar, scopesOf, SNAPSHOT_DIR, tokenize, type LineToken } from "./grammar.js";
import { loadReferenceEngine } from "./reference-engine.js";
import { SAMPLES } from "./samples.js";
import { parseWithTree } from "../../src/syntax/parse.js";
import { LineIndex } from "../../src/syntax/range.js";
import { lex } from "../../src/syntax/lexer.js";
import { keywordOf } from "../../src/syntax/tokens.js";

const UPDATE = process.env["MTL_UPDATE_SNAPSHOTS"] === "1";

const DOC = "comment.line.documentation.mtl";
const COMMENT = "comment.line.number-sign.mtl";
const DECL = "keyword.declaration.mtl";
const CLAUSE = "keyword.other.mtl";
const NUMBER = "constant.numeric.mtl";
const STRING = "string.quoted.double.mtl";
const ESCAPE = "constant.character.escape.mtl";
const PARAM = "variable.parameter.mtl";
const FUNC = "support.function.mtl";
const OP = "keyword.operator.mtl";

function has(scopes: string[], scope: string): boolean {
  return scopes.includes(scope);
}

function tokensOf(tokens: LineToken[], text: string): LineToken[] {
  return tokens.filter((t) => t.text.trim() === text);
}

function onLine(tokens: LineToken[], line: number): LineToken[] {
  return tokens.filter((t) => t.line === line);
}

describe("grammar file", () => {
  test("is source.mtl, every rule compiles, and every scope it names ends in .mtl", () => {
    const raw = rawGrammar();
    assert.equal(raw.scopeName, "source.mtl");
    mtlGrammar().checkAll();
    const names: string[] = [];
    JSON.stringify(raw, (key, value: unknown) => {
      if ((key === "name" || key === "contentName") && typeof value === "string") names.push(value);
      return value;
    });
    const bad = names.filter((n) => n !== "MTL" && !n.split(/\s+/).every((s) => s.endsWith(".mtl")));
    assert.deepEqual(bad, []);
  });
});

describe("snapshots of the example specs", () => {
  const specs = exampleSpecs();
  for (const spec of specs) {
    const name = basename(spec, ".mtl");
    test(name, () => {
      const actual = formatSnapshot(tokenize(readFileSync(spec, "utf8")));
      const file = join(SNAPSHOT_DIR, `${name}.txt`);
      if (UPDATE) {
        mkdirSync(SNAPSHOT_DIR, { recursive: true });
        writeFileSync(file, actual);
        return;
      }
      assert.ok(existsSync(file), `no snapshot ${file}; run the tests with MTL_UPDATE_SNAPSHOTS=1 to write it`);
      assert.equal(actual, readFileSync(file, "utf8"), `${name}.mtl tokenizes differently; if intended, rerun with MTL_UPDATE_SNAPSHOTS=1`);
    });
  }

  test("every snapshot belongs to an example spec", { skip: UPDATE }, () => {
    const expected = specs.map((s) => `${basename(s, ".mtl")}.txt`).sort();
    assert.deepEqual(readdirSync(SNAPSHOT_DIR).filter((f) => f.endsWith(".txt")).sort(), expected);
  });
});

describe("comments", () => {
  const tokens = tokenize(SAMPLES["comments"]!);

  test("a doc comment gets the documentation scope, not the plain one", () => {
    const doc = scopesOf(tokens, " A doc comment documents the next line.");
    assert.ok(has(doc, DOC));
    assert.ok(!has(doc, COMMENT));
    assert.deepEqual(scopesOf(tokens, "##", 1), ["source.mtl", DOC, "punctuation.definition.comment.mtl"]);
    assert.ok(has(scopesOf(tokens, " indented, still a doc comment"), DOC));
  });

  test("a plain comment does not, even with ## inside or ## after code", () => {
    const plain = scopesOf(tokens, " a plain comment ## with hashes");
    assert.ok(has(plain, COMMENT));
    assert.ok(!has(plain, DOC));
    const after = scopesOf(tokens, "# after code: a plain comment");
    assert.ok(has(after, COMMENT) && !has(after, DOC));
    assert.ok(has(scopesOf(tokens, " trailing"), COMMENT));
    assert.ok(has(scopesOf(tokens, "#", 3), "punctuation.definition.comment.mtl"));
  });
});

describe("soft clause keywords", () => {
  const tokens = tokenize(SAMPLES["softKeywords"]!);

  test("`label` in `label click` is a keyword; a feature named label_x is not", () => {
    assert.ok(has(scopesOf(tokens, "label", 4), CLAUSE));
    assert.ok(has(scopesOf(tokens, "click", 4), "variable.other.column.mtl"));
    const labelX = scopesOf(tokens, "label_x", 1);
    assert.ok(has(labelX, "entity.name.variable.feature.mtl"));
    assert.ok(!labelX.some((s) => s.startsWith("keyword")));
  });

  test("names that are spelled like clause keywords stay names", () => {
    assert.ok(has(scopesOf(tokens, "label", 2), "entity.name.variable.feature.mtl")); // feature label
    for (const t of onLine(tokens, 2).concat(onLine(tokens, 3))) {
      if (["label", "weight", "label_x"].includes(t.text)) assert.ok(!has(t.scopes, CLAUSE), `${t.line}:${t.startIndex + 1} ${t.text}`);
    }
    // `= weight label label where "col a"  weight 0.5`: node `weight`, column `label`, clauses.
    const line5 = onLine(tokens, 5).filter((t) => t.text.trim() !== "");
    const kinds = line5.map((t) => [t.text.trim(), has(t.scopes, CLAUSE)]);
    assert.deepEqual(
      kinds.filter(([text]) => ["weight", "label", "where"].includes(text as string)),
      [["weight", false], ["label", true], ["label", false], ["where", true], ["weight", true]],
    );
  });

  test("is, loss and over are keywords in clause position", () => {
    assert.ok(has(scopesOf(tokens, "is", 6), CLAUSE));
    assert.ok(has(scopesOf(tokens, "loss", 6), CLAUSE));
    assert.ok(has(scopesOf(tokens, "loss", 7), CLAUSE));
    assert.ok(has(scopesOf(tokens, "huber", 7), FUNC));
    assert.ok(has(scopesOf(tokens, "over", 8), CLAUSE));
    assert.ok(has(scopesOf(tokens, "over", 9), CLAUSE), "`over` at the end of a line, groups on the next");
    assert.ok(has(scopesOf(tokens, "*", 7), OP));
  });
});

describe("numbers", () => {
  const tokens = tokenize(SAMPLES["numbers"]!);
  test("100_000 is one numeric token, and so are 1e-3, 0.001, -1, .5, 2E+4", () => {
    for (const n of ["100_000", "1e-3", "0.001", "-1", ".5", "2E+4"]) assert.deepEqual(scopesOf(tokens, n), ["source.mtl", NUMBER], n);
  });
  test("digits inside names are not numbers", () => {
    const t = tokenize("expert shared1[2] = mlp(g_ctr2, [16])");
    assert.deepEqual(tokensWith(t, NUMBER).map((x) => x.text), ["2", "16"]);
  });
});

function tokensWith(tokens: LineToken[], scope: string): LineToken[] {
  return tokens.filter((t) => has(t.scopes, scope));
}

describe("strings", () => {
  const tokens = tokenize(SAMPLES["strings"]!);

  test("escapes are scoped inside double-quoted strings, and # in a string is no comment", () => {
    assert.deepEqual(tokensWith(onLine(tokens, 1), ESCAPE).map((t) => t.text), ["\\\"", "\\t", "\\\\"]);
    assert.ok(has(scopesOf(tokens, "# not a comment"), STRING));
    assert.ok(!tokens.some((t) => has(t.scopes, COMMENT)));
    assert.ok(has(scopesOf(tokens, "\"", 1), "punctuation.definition.string.begin.mtl"));
  });

  test("an unterminated string does not swallow the next line", () => {
    assert.ok(has(scopesOf(tokens, "unterminated", 2), STRING));
    const line3 = onLine(tokens, 3);
    assert.ok(!line3.some((t) => has(t.scopes, STRING)));
    assert.deepEqual(scopesOf(tokens, "task", 3), ["source.mtl", DECL]);
    assert.ok(has(scopesOf(tokens, "binary", 3), "support.type.mtl"));
    assert.ok(has(scopesOf(tokens, "label", 3), CLAUSE));
  });
});

describe("declarations, calls and blocks", () => {
  const tokens = tokenize(SAMPLES["declarations"]!);

  test("each declaration keyword and the name it declares", () => {
    const expected: [number, string, string][] = [
      [1, "census_mmoe", "entity.name.type.model.mtl"],
      [2, "binary", "entity.name.variable.feature.mtl"],
      [3, "x", "entity.name.variable.input.mtl"],
      [4, "shared", "entity.name.function.expert.mtl"],
      [5, "g", "entity.name.function.gate.mtl"],
      [6, "t", "entity.name.function.tower.mtl"],
      [7, "ctr", "entity.name.function.task.mtl"],
    ];
    for (const [line, name, scope] of expected) {
      assert.deepEqual(onLine(tokens, line)[0]!.scopes, ["source.mtl", DECL], `line ${line}`);
      assert.deepEqual(scopesOf(tokens, name, line), ["source.mtl", scope], `${name} on line ${line}`);
    }
  });

  test("a feature group: the name is the feature's, the count a number in brackets", () => {
    const t = tokenize("feature C[26] : categorical(buckets: 100_000, dim: 16)");
    assert.deepEqual(scopesOf(t, "feature"), ["source.mtl", DECL]);
    assert.deepEqual(scopesOf(t, "C"), ["source.mtl", "entity.name.variable.feature.mtl"]);
    assert.deepEqual(scopesOf(t, "["), ["source.mtl", "punctuation.section.brackets.begin.mtl"]);
    assert.deepEqual(scopesOf(t, "26"), ["source.mtl", NUMBER]);
    assert.deepEqual(scopesOf(t, ":"), ["source.mtl", OP]);
    assert.ok(has(scopesOf(t, "categorical"), FUNC));
  });

  test("task types, constructors, option names, constants and operators", () => {
    assert.deepEqual(scopesOf(tokens, "binary", 7), ["source.mtl", "support.type.mtl"]);
    assert.deepEqual(scopesOf(tokens, "regression", 8), ["source.mtl", "support.type.mtl"]);
    for (const fn of ["concat", "mlp", "softmax", "numeric"]) assert.ok(has(scopesOf(tokens, fn), FUNC), fn);
    for (const p of ["activation", "dropout", "batchnorm"]) assert.ok(has(scopesOf(tokens, p), PARAM), p);
    assert.ok(has(scopesOf(tokens, "true"), "constant.language.mtl"));
    assert.deepEqual(scopesOf(tokens, "*", 3), ["source.mtl", OP]);
    assert.deepEqual(scopesOf(tokens, "=", 3), ["source.mtl", OP]);
    assert.deepEqual(scopesOf(tokens, ":", 2), ["source.mtl", OP]);
    assert.deepEqual(scopesOf(tokens, "[", 4), ["source.mtl", "punctuation.section.brackets.begin.mtl"]);
    assert.deepEqual(scopesOf(tokens, "4", 4), ["source.mtl", NUMBER]);
  });

  test("several values after 'is', in a label and in a where: '|' is an operator, the values strings", () => {
    const t = tokenize('task inc : binary = t label income is ">50K" | ">50K." where stage is "clicked" | "bought"');
    assert.deepEqual(tokensOf(t, "|").map((x) => x.scopes), [["source.mtl", OP], ["source.mtl", OP]]);
    assert.equal(tokensOf(t, "is").filter((x) => has(x.scopes, CLAUSE)).length, 2);
    for (const v of ['">50K."', '"bought"']) assert.ok(has(scopesOf(t, v.slice(1, -1)), STRING), v);
    assert.ok(has(scopesOf(t, "where"), CLAUSE));
  });

  test("option names in blocks and nested calls, across lines", () => {
    const b = tokenize(SAMPLES["blocks"]!);
    for (const p of ["format", "header", "trim", "missing", "columns", "optimizer", "lr", "batch", "epochs"]) assert.ok(has(scopesOf(b, p), PARAM), p);
    assert.ok(has(scopesOf(b, "csv"), FUNC));
    assert.ok(has(scopesOf(b, "adam"), FUNC));
    assert.ok(has(scopesOf(b, "false"), "constant.language.mtl"));
    for (const t of onLine(b, 4)) assert.ok(!has(t.scopes, CLAUSE), `column list item ${t.text}`);
    assert.deepEqual(scopesOf(b, "}", 5), ["source.mtl", "punctuation.section.braces.end.mtl"]);
    assert.deepEqual(scopesOf(b, "train", 6), ["source.mtl", DECL]);
  });

  test("an unclosed call or block ends at the next declaration keyword", () => {
    const r = tokenize(SAMPLES["recovery"]!);
    assert.deepEqual(scopesOf(r, "tower", 2), ["source.mtl", DECL]);
    assert.deepEqual(scopesOf(r, "t", 2), ["source.mtl", "entity.name.function.tower.mtl"]);
    assert.deepEqual(scopesOf(r, "task", 4), ["source.mtl", DECL]);
    assert.ok(has(scopesOf(r, "label", 4), CLAUSE));
  });
});

describe("keywords come from the lexer's token definitions", () => {
  // Every keyword token of the example specs and the samples that parse: where the parser reads it as a
  // keyword, the grammar scopes it as one (declaration or clause keyword); where it reads a soft keyword as a name, not.
  const texts: [string, string][] = [...exampleSpecs().map((s): [string, string] => [basename(s), readFileSync(s, "utf8")]), ...Object.entries(SAMPLES)];
  for (const [name, text] of texts) {
    const parsed = parseWithTree(text, name);
    if (parsed.diagnostics.some((d) => d.severity === "error")) continue;
    test(name, () => {
      const asKeyword = new Set<number>();
      for (const decl of parsed.tree.decls) {
        for (const t of [decl.keyword, decl.overKeyword, ...decl.clauses.flatMap((c) => [c.keyword, c.is])]) if (t) asKeyword.add(t.startOffset);
      }
      const lines = new LineIndex(text);
      const scopes = tokenize(text);
      for (const token of lex(lines, name).tokens) {
        const info = keywordOf(token.tokenType);
        if (!info) continue;
        const at = lines.position(token.startOffset);
        const tm = scopes.find((t) => t.line === at.line && t.startIndex <= at.column - 1 && at.column - 1 < t.endIndex)!;
        const where = `${name}:${at.line}:${at.column} '${info.word}'`;
        if (asKeyword.has(token.startOffset)) assert.ok(has(tm.scopes, info.declaration ? DECL : CLAUSE), `${where}: ${tm.scopes.join(" ")}`);
        else assert.ok(!tm.scopes.some((s) => s.startsWith("keyword")), `${where} is a name here: ${tm.scopes.join(" ")}`);
      }
    });
  }
});

describe("agreement with vscode-textmate + vscode-oniguruma", async () => {
  const reference = await loadReferenceEngine(GRAMMAR_PATH);
  const texts: [string, string][] = [
    ...exampleSpecs().map((s): [string, string] => [basename(s), readFileSync(s, "utf8")]),
    ...Object.entries(SAMPLES),
  ];
  for (const [name, text] of texts) {
    test(name, { skip: reference ? false : "vscode-textmate/vscode-oniguruma not installed (set MTL_TEXTMATE_DIR)" }, () => {
      assert.deepEqual(mtlGrammar().tokenizeText(text), reference!.tokenizeText(text));
    });
  }
});

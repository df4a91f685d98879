import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { runInNewContext } from "node:vm";
import type { ISerializedGast } from "chevrotain";
import { parseText } from "../../src/syntax/parse.js";
import { grammarProductions } from "../../src/syntax/parser.js";
import { buildSyntaxDiagrams, HTML_PATH, SVG_DIR, terminalText } from "../../src/syntax/syntax-diagrams.js";
import { ALL_TOKENS, Identifier, LParen, Model } from "../../src/syntax/tokens.js";
import { repoRoot } from "../helpers/paths.js";

const STALE = "is out of date with the parser: run `npm run grammar` and commit the result";

const diagrams = buildSyntaxDiagrams();
const ruleNames = grammarProductions().map((rule) => (rule as ISerializedGast & { name: string }).name);

function committed(path: string): string | undefined {
  const file = join(repoRoot(), path);
  return existsSync(file) ? readFileSync(file, "utf8") : undefined;
}

/** The contents of the page's inline <script> elements, in order. */
function scripts(html: string): string[] {
  return [...html.matchAll(/<script>\n([\s\S]*?)\n<\/script>/g)].map((m) => m[1]!);
}

describe("syntax diagrams", () => {
  test("the committed HTML page and SVGs are what the parser generates", () => {
    assert.ok(committed(HTML_PATH) === diagrams.html, `${HTML_PATH} ${STALE}`);
    const dir = join(repoRoot(), SVG_DIR);
    const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".svg")).sort() : [];
    assert.deepEqual(files, [...diagrams.svgs.keys()].sort(), `the set of SVG files in ${SVG_DIR}/ ${STALE}`);
    for (const [file, svg] of diagrams.svgs) assert.ok(committed(`${SVG_DIR}/${file}`) === svg, `${SVG_DIR}/${file} ${STALE}`);
  });

  test("generation is deterministic and leaves the parser usable", () => {
    const again = buildSyntaxDiagrams();
    assert.equal(again.html, diagrams.html);
    assert.deepEqual([...again.svgs], [...diagrams.svgs]);
    const { ast, diagnostics } = parseText("model m\ntower t = mlp(x, [8])\n", "s.mtl");
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(ast.decls.map((d) => d.kind), ["model", "tower"]);
  });

  test("every parser rule has an SVG and a diagram in the page", () => {
    assert.ok(ruleNames.length >= 10 && ruleNames.includes("spec") && ruleNames.includes("taskDecl"), ruleNames.join());
    assert.deepEqual(diagrams.rules, ruleNames);
    for (const rule of ruleNames) {
      const svg = diagrams.svgs.get(`${rule}.svg`);
      assert.ok(svg !== undefined, `no ${rule}.svg`);
      assert.ok(svg.startsWith(`<svg xmlns="http://www.w3.org/2000/svg" class="railroad-diagram"`), rule);
      assert.ok(svg.includes(`<title>${rule}</title>`), rule);
    }
    // The page draws its embedded grammar with chevrotain's own renderer; run that part of it.
    const page = scripts(diagrams.html);
    const context: Record<string, unknown> = {};
    context["window"] = context;
    for (const code of page.slice(0, -1)) runInNewContext(code, context);
    const embedded = context["serializedGrammar"] as { name: string }[];
    assert.deepEqual(Array.from(embedded, (r) => r.name), ruleNames);
    const builder = context["diagrams_builder"] as { buildSyntaxDiagramsText(grammar: unknown): string };
    const drawn = builder.buildSyntaxDiagramsText(embedded);
    for (const rule of ruleNames) assert.ok(drawn.includes(`<h2 class="diagramHeader">${rule}</h2><svg`), rule);
    assert.match(page.at(-1)!, /main\.drawDiagramsFromSerializedGrammar\(serializedGrammar, diagramsDiv\)/);
  });

  test("every rule a diagram refers to is drawn too", () => {
    for (const [file, svg] of diagrams.svgs) {
      const referenced = [...svg.matchAll(/<g class="non-terminal">\n(?:.*\n)*?<text [^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);
      for (const name of referenced) assert.ok(ruleNames.includes(name), `${file} refers to ${name}`);
    }
    assert.match(diagrams.svgs.get("spec.svg")!, /<g class="non-terminal">\n(?:.*\n)*?<text [^>]*>decl<\/text>/);
  });

  test("terminals show keywords and punctuation as written, token classes by name", () => {
    assert.equal(terminalText({ name: Model.name, label: Model.LABEL! }), "model");
    assert.equal(terminalText({ name: LParen.name, label: LParen.LABEL! }), "(");
    assert.equal(terminalText({ name: Identifier.name, label: Identifier.LABEL! }), "Identifier");
    for (const token of ALL_TOKENS) assert.ok(terminalText({ name: token.name, label: token.LABEL ?? token.name }).length > 0);
    const model = diagrams.svgs.get("modelDecl.svg")!;
    for (const text of ["model", "Identifier", "StringLiteral"]) assert.ok(model.includes(`>${text}</text>`), text);
    const call = diagrams.svgs.get("call.svg")!;
    for (const text of ["Identifier", "(", ",", ")", "arg"]) assert.ok(call.includes(`>${text}</text>`), text);
    assert.ok(diagrams.svgs.get("expertDecl.svg")!.includes(">NumberLiteral</text>"));
    assert.ok(!diagrams.html.includes(`"label": "'`), "the page shows display text, not quoted token labels");
  });

  test("the page works offline: it loads nothing, and any URL in it is a comment or an XML namespace", () => {
    const html = diagrams.html;
    assert.doesNotMatch(html, /<link\b/i);
    assert.doesNotMatch(html, /<script\b[^>]*\bsrc\s*=/i);
    assert.doesNotMatch(html, /\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?\/\//i);
    assert.doesNotMatch(html, /url\(\s*["']?\s*(?:https?:)?\/\/|@import/i);
    assert.doesNotMatch(html, /\bfetch\(|XMLHttpRequest|importScripts/);
    const namespaces = new Set(["http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"]);
    for (const match of html.matchAll(/https?:\/\/[^\s'"<>)]+/g)) {
      const at = match.index;
      const line = html.slice(html.lastIndexOf("\n", at) + 1, at);
      const inBlockComment = html.lastIndexOf("/*", at) > html.lastIndexOf("*/", at);
      const inLineComment = line.trimStart().startsWith("//");
      assert.ok(namespaces.has(match[0]) || inBlockComment || inLineComment, `the page refers to ${match[0]}`);
    }
  });
});

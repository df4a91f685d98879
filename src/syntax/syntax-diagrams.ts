/**
 * Railroad syntax diagrams of the `.mtl` grammar, drawn from the one parser
 * instance of parser.ts so they cannot drift from what is actually parsed:
 *
 * - an offline HTML page (chevrotain's own diagram renderer, with its scripts
 *   and style sheet inlined instead of fetched from a CDN), and
 * - one static SVG per grammar rule (railroad-diagrams, run in Node), which
 *   GitHub shows inline in markdown.
 *
 * Everything is a pure function of the grammar and of the pinned renderer
 * packages, so the output is byte-identical across runs and can be committed
 * and checked (test/grammar/syntax-diagrams.test.ts; `npm run grammar`
 * rewrites it).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { createSyntaxDiagramsCode, type ISerializedGast } from "./chevrotain.js";
import { grammarProductions } from "./parser.js";

/** A serialized GAST node, with the fields chevrotain's serializer writes. */
interface Gast extends ISerializedGast {
  name?: string;
  label?: string;
  pattern?: string;
  separator?: Gast;
  definition?: Gast[];
}

export interface SyntaxDiagrams {
  /** The grammar's rule names, in the order the parser defines them. */
  rules: string[];
  /** grammar/syntax-diagrams.html */
  html: string;
  /** File name (`<rule>.svg`) → contents, for grammar/diagrams/. */
  svgs: Map<string, string>;
}

/** Where the artefacts live, relative to the repository root. */
export const HTML_PATH = "grammar/syntax-diagrams.html";
export const SVG_DIR = "grammar/diagrams";

export function buildSyntaxDiagrams(): SyntaxDiagrams {
  const grammar = displayGrammar(grammarProductions());
  const rules = grammar.map((rule) => rule.name!);
  const svgs = new Map<string, string>();
  for (const rule of grammar) svgs.set(`${rule.name}.svg`, ruleSvg(rule));
  return { rules, html: diagramsHtml(grammar), svgs };
}

/**
 * How a terminal is shown: literal tokens (keywords, punctuation) carry a
 * quoted label in tokens.ts (`'feature'`, `'('`) and are shown as written;
 * token classes (Identifier, NumberLiteral, StringLiteral) by their name.
 */
export function terminalText(terminal: { name?: string; label?: string }): string {
  const literal = /^'(.+)'$/.exec(terminal.label ?? "");
  if (literal) return literal[1]!;
  if (!terminal.name) throw new Error(`terminal without a name: ${JSON.stringify(terminal)}`);
  return terminal.name;
}

/** A copy of the grammar whose terminal labels are their display text. */
function displayGrammar(grammar: ISerializedGast[]): Gast[] {
  const copy = structuredClone(grammar) as Gast[];
  const visit = (node: Gast): void => {
    if (node.type === "Terminal") node.label = terminalText(node);
    if (node.separator) visit(node.separator);
    node.definition?.forEach(visit);
  };
  copy.forEach(visit);
  return copy;
}

// ---------------------------------------------------------------- HTML page

/** chevrotain's diagrams/ folder (scripts and style sheet of its renderer). */
function chevrotainDiagramsDir(): string {
  // The package exports only its entry, lib/src/api.js.
  const entry = createRequire(import.meta.url).resolve("chevrotain");
  return join(dirname(entry), "..", "..", "diagrams");
}

const RESOURCE_BASE = "chevrotain-diagrams/";
const CSS = "chevrotain-diagrams/diagrams.css";

/**
 * chevrotain's createSyntaxDiagramsCode page, with each `<script src>` and the
 * style sheet `<link>` replaced by the file's contents, so it works offline.
 */
function diagramsHtml(grammar: Gast[]): string {
  const dir = chevrotainDiagramsDir();
  const read = (url: string): string => {
    if (!url.startsWith(RESOURCE_BASE)) throw new Error(`unexpected resource ${url} in chevrotain's diagrams page`);
    return readFileSync(join(dir, url.slice(RESOURCE_BASE.length)), "utf8").replace(/\r\n/g, "\n").trimEnd();
  };
  let html = createSyntaxDiagramsCode(grammar, { resourceBase: RESOURCE_BASE, css: CSS });
  html = replaceOnce(html, `<meta charset="utf-8">`, `<meta charset="utf-8">\n<title>mtl syntax diagrams</title>`);
  html = replaceOnce(html, /<link rel='stylesheet' href='([^']*)'>/, (_, url: string) => `<style>\n${read(url)}\n</style>`);
  html = html.replace(/<script src='([^']*)'><\/script>/g, (_, url: string) => `<script>\n${read(url)}\n</script>`);
  if (/<link\b|<script\b[^>]*\bsrc=/i.test(html)) throw new Error("the diagrams page still loads an external resource");
  // Inlined code and the grammar's JSON must not end a <script> early or open a comment.
  const count = (re: RegExp): number => (html.match(re) ?? []).length;
  if (count(/<script\b/gi) !== count(/<\/script/gi) || count(/<!--/g) !== 1) throw new Error("the diagrams page does not nest its <script> elements");
  return html.replace(/[ \t]+$/gm, "").trim() + "\n";
}

function replaceOnce(text: string, find: string | RegExp, replacement: string | ((...groups: string[]) => string)): string {
  const count = typeof find === "string" ? text.split(find).length - 1 : (text.match(new RegExp(find, "g")) ?? []).length;
  if (count !== 1) throw new Error(`expected one ${String(find)} in chevrotain's diagrams page, found ${count}`);
  return typeof replacement === "string" ? text.replace(find, () => replacement) : text.replace(find, replacement);
}

// ---------------------------------------------------------------- SVG files

/** The part of railroad-diagrams 1.0.0 (CommonJS, untyped) used here. */
interface RailroadNode {
  /** The attributes of the node's SVG element. */
  attrs: Record<string, string | number>;
  toString(): string;
}
interface Railroad {
  Diagram(...items: RailroadNode[]): RailroadNode;
  Sequence(...items: RailroadNode[]): RailroadNode;
  Choice(normal: number, ...items: RailroadNode[]): RailroadNode;
  Optional(item: RailroadNode): RailroadNode;
  OneOrMore(item: RailroadNode, repeat?: RailroadNode): RailroadNode;
  ZeroOrMore(item: RailroadNode, repeat?: RailroadNode): RailroadNode;
  Terminal(text: string): RailroadNode;
  NonTerminal(text: string): RailroadNode;
  Skip(): RailroadNode;
}

let railroadModule: Railroad | undefined;
function railroad(): Railroad {
  return (railroadModule ??= createRequire(import.meta.url)("railroad-diagrams") as Railroad);
}

/** Inlined into each SVG: an `<img>` does not see the page's style sheets. */
const SVG_STYLE = `<style>
svg.railroad-diagram { background-color: hsl(30,20%,95%); }
svg.railroad-diagram path { stroke-width: 3; stroke: black; fill: rgba(0,0,0,0); }
svg.railroad-diagram text { font: bold 14px monospace; text-anchor: middle; fill: black; }
svg.railroad-diagram rect { stroke-width: 3; stroke: black; fill: hsl(190,100%,83%); }
svg.railroad-diagram g.non-terminal rect { fill: hsl(223,100%,83%); }
</style>`;

function ruleSvg(rule: Gast): string {
  if (rule.type !== "Rule" || !rule.name) throw new Error(`not a grammar rule: ${JSON.stringify(rule)}`);
  const rr = railroad();
  const svg = rr.Diagram(...(rule.definition ?? []).map(toRailroad)).toString();
  const open = /^<svg ([^>]*)>\n/.exec(svg);
  if (!open) throw new Error(`unexpected railroad-diagrams output for rule ${rule.name}`);
  // Standalone SVG files need the namespace, and their own style (see SVG_STYLE).
  const head = `<svg xmlns="http://www.w3.org/2000/svg" ${open[1]}>\n<title>${rule.name}</title>\n${SVG_STYLE}\n`;
  return (head + svg.slice(open[0].length)).trimEnd() + "\n";
}

function toRailroad(node: Gast): RailroadNode {
  const rr = railroad();
  const inner = (): RailroadNode => sequence((node.definition ?? []).map(toRailroad));
  switch (node.type) {
    case "Terminal":
      return rr.Terminal(node.label ?? terminalText(node));
    case "NonTerminal": {
      // Drawn as a square box, a terminal as a rounded one; the class gives it its own colour too.
      const reference = rr.NonTerminal(node.name!);
      reference.attrs.class = "non-terminal";
      return reference;
    }
    case "Alternative":
      return inner();
    case "Alternation":
      return rr.Choice(0, ...(node.definition ?? []).map(toRailroad));
    case "Option":
      return rr.Optional(inner());
    case "Repetition":
      return rr.ZeroOrMore(inner());
    case "RepetitionMandatory":
      return rr.OneOrMore(inner());
    case "RepetitionWithSeparator":
      return rr.ZeroOrMore(inner(), toRailroad(node.separator!));
    case "RepetitionMandatoryWithSeparator":
      return rr.OneOrMore(inner(), toRailroad(node.separator!));
    default:
      throw new Error(`no diagram for grammar node ${node.type}`);
  }
}

function sequence(items: RailroadNode[]): RailroadNode {
  const rr = railroad();
  if (items.length === 0) return rr.Skip();
  if (items.length === 1) return items[0]!;
  return rr.Sequence(...items);
}

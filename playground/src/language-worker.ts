/**
 * The language worker: mtl's checker (src/check-source.ts), the editor
 * services of its language server (src/lsp: hover, completion, quick fixes
 * carried by the diagnostics), and the graph and TypeScript back ends
 * (src/codegen), run off the page's thread on every edit.
 */
import { Lexer } from "chevrotain";
import { hasErrors } from "../../src/diagnostics/diagnostic.js";
import { lower } from "../../src/ir/lower.js";
import { assertValidIr } from "../../src/ir/validate.js";
import type { ValidIR } from "../../src/ir/types.js";
import { analyze, type Analysis } from "../../src/lsp/analysis.js";
import { complete } from "../../src/lsp/completion.js";
import { hover } from "../../src/lsp/hover.js";
import { IncrementalCompiler } from "../../src/lsp/incremental.js";
import { LineIndex } from "../../src/syntax/range.js";
import * as T from "../../src/syntax/tokens.js";
import type { DiagnosticData, LanguageReply, LanguageRequest, TokenClass } from "./protocol.js";

/** The file name diagnostics carry, as `mtl check playground.mtl` would print it. */
export const FILE = "playground.mtl";

const compiler = new IncrementalCompiler();
let last: { text: string; analysis: Analysis; ir: ValidIR | null } | undefined;

function analysisOf(text: string): { analysis: Analysis; ir: ValidIR | null } {
  if (last?.text === text) return last;
  const analysis = analyze(FILE, 0, text, compiler, FILE);
  const ir = hasErrors(analysis.result.diagnostics) ? null : assertValidIr(lower(analysis.checked));
  last = { text, analysis, ir };
  return last;
}

const post = (reply: LanguageReply) => postMessage(reply);

self.onmessage = async (event: MessageEvent<LanguageRequest>) => {
  const request = event.data;
  try {
    switch (request.kind) {
      case "check": {
        const started = performance.now();
        const { analysis, ir } = analysisOf(request.text);
        post({ id: request.id, kind: "check", diagnostics: analysis.result.diagnostics.map(toData), tokens: tokensOf(request.text), ir, millis: performance.now() - started });
        // The picture is laid out after the diagnostics are out, so typing never waits for Graphviz.
        if (ir) post({ id: request.id, kind: "graph", ...(await picture(ir)) });
        break;
      }
      case "hover": {
        const h = hover(analysisOf(request.text).analysis, request.offset);
        post({ id: request.id, kind: "hover", hover: h && h.range ? { ...offsets(request.text, h.range), markdown: markdownOf(h.contents) } : null });
        break;
      }
      case "complete": {
        const items = complete(request.text, request.offset, analysisOf(request.text).analysis);
        let from = request.offset;
        while (from > 0 && /[A-Za-z0-9_]/.test(request.text[from - 1]!)) from--;
        post({
          id: request.id,
          kind: "complete",
          from,
          items: items.map((i) => ({ label: i.label, ...(i.detail !== undefined && { detail: i.detail }), apply: i.insertText ?? i.label, type: completionType(i.kind) })),
        });
        break;
      }
      case "typescript": {
        const { ir } = analysisOf(request.text);
        if (!ir) {
          post({ id: request.id, kind: "typescript", source: null, error: "the spec has errors: fix them to generate the module" });
          break;
        }
        const { generateTypeScript } = await import("../../src/codegen/typescript/index.js");
        post({ id: request.id, kind: "typescript", source: await generateTypeScript(ir), error: null });
        break;
      }
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (request.kind === "typescript") post({ id: request.id, kind: "typescript", source: null, error: message });
    else if (request.kind === "check") post({ id: request.id, kind: "graph", svg: null, error: message });
    else console.error(`mtl playground: ${request.kind} failed: ${message}`);
  }
};

async function picture(ir: ValidIR): Promise<{ svg: string | null; error: string | null }> {
  try {
    const { renderSvg } = await import("../../src/codegen/graph/svg.js");
    return { svg: await renderSvg(ir), error: null };
  } catch (error) {
    return { svg: null, error: error instanceof Error ? error.message : String(error) };
  }
}

function toData(d: Analysis["result"]["diagnostics"][number]): DiagnosticData {
  return {
    from: d.range.start.offset,
    to: d.range.end.offset,
    severity: d.severity,
    code: d.code,
    message: d.message,
    fixes: (d.fixes ?? []).map((f) => ({ title: f.title, from: f.range.start.offset, to: f.range.end.offset, newText: f.newText })),
  };
}

/** LSP line/character ranges (what hover returns) back to offsets. */
function offsets(text: string, range: { start: { line: number; character: number }; end: { line: number; character: number } }): { from: number; to: number } {
  const starts = [0];
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  const at = (p: { line: number; character: number }) => (starts[p.line] ?? text.length) + p.character;
  return { from: at(range.start), to: at(range.end) };
}

function markdownOf(contents: unknown): string {
  if (typeof contents === "string") return contents;
  if (contents && typeof contents === "object" && "value" in contents) return String((contents as { value: unknown }).value);
  return "";
}

/** LSP CompletionItemKind numbers → CodeMirror's completion icons. */
function completionType(kind: number | undefined): string {
  switch (kind) {
    case 14:
      return "keyword";
    case 3:
      return "function";
    case 10:
      return "property";
    case 12:
    case 20:
      return "enum";
    case 6:
      return "variable";
    default:
      return "text";
  }
}

// ── highlighting from the project's token definitions ────────────────────

const highlighter = new Lexer(T.ALL_TOKENS, { positionTracking: "onlyOffset" });
const KEYWORDS = new Set(T.KEYWORDS);

function tokensOf(text: string): [number, number, TokenClass][] {
  const result = highlighter.tokenize(new LineIndex(text).text);
  const all = [...result.tokens, ...(result.groups["docs"] ?? []), ...(result.groups["comments"] ?? [])];
  const out: [number, number, TokenClass][] = [];
  const sorted = result.tokens;
  sorted.forEach((token, i) => {
    const cls = classOf(token.tokenType, sorted[i + 1]?.tokenType);
    if (cls) out.push([token.startOffset, token.startOffset + token.image.length, cls]);
  });
  for (const token of all.slice(sorted.length)) {
    out.push([token.startOffset, token.startOffset + token.image.length, token.tokenType === T.DocComment ? "docComment" : "comment"]);
  }
  return out.sort((a, b) => a[0] - b[0]);
}

function classOf(type: import("chevrotain").TokenType, next: import("chevrotain").TokenType | undefined): TokenClass | null {
  if (KEYWORDS.has(type)) return "keyword";
  if (type === T.StringLiteral || type === T.UnterminatedString) return "string";
  if (type === T.NumberLiteral) return "number";
  if (type === T.Identifier) return next === T.LParen ? "call" : "name";
  return null;
}

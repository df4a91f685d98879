import { EOF, type IRecognitionException, type IToken } from "./chevrotain.js";
import { diagnostic, replacement, type Diagnostic } from "../diagnostics/diagnostic.js";
import { closest } from "../diagnostics/suggest.js";
import type { Decl, Range, SpecFile } from "./ast.js";
import { buildDecl, buildSpec } from "./build-ast.js";
import { allComments, lex, type LexResult } from "./lexer.js";
import type { DeclNode } from "./parse-tree.js";
import { parseTokens } from "./parser.js";
import { LineIndex } from "./range.js";
import { decodeSource } from "./source.js";
import { DECLARATION_WORDS, Identifier, KEYWORD_WORDS, keywordOf, NumberLiteral, StringLiteral } from "./tokens.js";
import { attachTrivia, type TriviaMap } from "./trivia.js";

export interface ParseResult {
  ast: SpecFile;
  text: string;
  diagnostics: Diagnostic[];
}

/** Bytes → text → tokens → parse tree → AST, collecting every problem on the way. */
export function parseBytes(bytes: Uint8Array, file: string): ParseResult {
  const source = decodeSource(bytes, file);
  const result = parseText(source.text, file, source.hadInvalidBytes);
  result.diagnostics.unshift(...source.diagnostics);
  return result;
}

export function parseText(text: string, file: string, invalidBytesReported = false): ParseResult {
  return parse(text, file, invalidBytesReported).result;
}

/** The full syntax tree: every declaration's parse tree, with the comments and blank lines attached to its tokens. */
export interface SyntaxTree {
  decls: DeclNode[];
  trivia: TriviaMap;
}

/** parseText, keeping the syntax tree as well (for the formatter, which prints from it). */
export function parseWithTree(text: string, file: string): ParseResult & { tree: SyntaxTree } {
  const trees: DeclNode[] = [];
  const { result, lexed } = parse(text, file, false, trees);
  return { ...result, tree: { decls: trees, trivia: attachTrivia(text, lexed.tokens, allComments(lexed)) } };
}

function parse(text: string, file: string, invalidBytesReported: boolean, trees?: DeclNode[]): { result: ParseResult; lexed: LexResult } {
  const lines = new LineIndex(text);
  const lexed = lex(lines, file, { invalidBytesReported });
  const decls: Decl[] = [];
  const broken = new Set<string>();
  // Each declaration becomes AST as soon as it is parsed, so unless kept the parse trees never pile up.
  const errors = parseTokens(lexed.tokens, (node) => {
    trees?.push(node);
    const decl = buildDecl(node, lines);
    if (decl) decls.push(decl);
    else if (node.keyword) broken.add(node.kind);
  });
  const ast = buildSpec(decls, lexed.docs, lines, file);
  const diagnostics = [...lexed.diagnostics, ...syntaxDiagnostics(errors, lexed.tokens, lines, file, broken)];
  if (broken.size > 0) ast.broken = broken;
  for (const stray of ast.strayDocs) diagnostics.push(diagnostic("MTL1007", file, stray.range));
  return { result: { ast, text, diagnostics }, lexed };
}

/** Syntax errors; a name within typo distance of a keyword is taken for it (`modle`, `lbael`) and its declaration kind for `broken`. */
function syntaxDiagnostics(errors: IRecognitionException[], tokens: IToken[], lines: LineIndex, file: string, broken: Set<string>): Diagnostic[] {
  const seen = new Set<number>();
  const out: Diagnostic[] = [];
  for (const error of errors) {
    const tok = error.token;
    const atEnd = tok.tokenType === EOF || !Number.isFinite(tok.startOffset);
    const range = atEnd ? endRange(tokens, lines) : lines.tokenRange(tok);
    if (seen.has(range.start.offset)) continue;
    seen.add(range.start.offset);
    // Two letters are too few to tell a typo from another name ('i' is not 'is').
    const keyword = !atEnd && tok.tokenType === Identifier && tok.image.length >= 3 ? closest(tok.image, KEYWORD_WORDS) : undefined;
    const d = diagnostic("MTL1003", file, range, error.message, atEnd ? "the end of the file" : describe(tok), keyword ? ` Did you mean '${keyword}'?` : "");
    if (keyword) {
      d.fixes = [replacement(range, tok.image, keyword)];
      if (DECLARATION_WORDS.has(keyword)) broken.add(keyword);
    }
    out.push(d);
  }
  return out;
}

/** Errors at the end of the file point just after the last token, where the missing text belongs. */
function endRange(tokens: IToken[], lines: LineIndex): Range {
  const last = tokens[tokens.length - 1];
  const end = last ? lines.tokenRange(last).end : lines.end();
  return { start: end, end };
}

function describe(tok: IToken): string {
  const image = tok.image.length > 30 ? tok.image.slice(0, 30) + "..." : tok.image;
  if (keywordOf(tok.tokenType)) return `the keyword '${image}'`;
  if (tok.tokenType === Identifier) return `the name '${image}'`;
  if (tok.tokenType === NumberLiteral) return `the number ${image}`;
  if (tok.tokenType === StringLiteral || tok.tokenType.CATEGORIES?.includes(StringLiteral)) return `the string ${image}`;
  return `'${image}'`;
}

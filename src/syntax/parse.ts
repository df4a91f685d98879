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
import { Comma, DECLARATION_WORDS, Identifier, isNameToken, KEYWORD_WORDS, keywordOf, LParen, NumberLiteral, StringLiteral, UnterminatedString } from "./tokens.js";
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
  const names: BrokenNames = { lost: new Set(), skipped: new Set() };
  const diagnostics = [...lexed.diagnostics, ...syntaxDiagnostics(errors, lexed, lines, file, broken, names)];
  if (broken.size > 0) ast.broken = broken;
  if (names.lost.size > 0) ast.lostNames = names.lost;
  if (names.skipped.size > 0) ast.skippedNames = names.skipped;
  for (const stray of ast.strayDocs) diagnostics.push(diagnostic("MTL1007", file, stray.range));
  return { result: { ast, text, diagnostics }, lexed };
}

/**
 * Syntax errors, one per declaration: recovery guesses (a token inserted or
 * skipped), and whatever goes wrong after a wrong guess is a consequence of
 * the first error, not a problem of its own. A name within typo distance of
 * a keyword is taken for it (`modle`, `lbael`) and its declaration kind for
 * `broken`.
 */
function syntaxDiagnostics(errors: IRecognitionException[], lexed: LexResult, lines: LineIndex, file: string, broken: Set<string>, names: BrokenNames): Diagnostic[] {
  const tokens = lexed.tokens;
  const starts = tokens.filter((t) => keywordOf(t.tokenType)?.declaration).map((t) => t.startOffset);
  const reported = new Set<number>();
  const out: Diagnostic[] = [];
  for (const error of errors) {
    const tok = error.token;
    const atEnd = tok.tokenType === EOF || !Number.isFinite(tok.startOffset);
    const range = atEnd ? endRange(tokens, lines) : lines.tokenRange(tok);
    // Two letters are too few to tell a typo from another name ('i' is not 'is').
    const keyword = !atEnd && tok.tokenType === Identifier && tok.image.length >= 3 ? closest(tok.image, KEYWORD_WORDS) : undefined;
    // A declaration's rule that stops at the next declaration's keyword reports it for the declaration it was parsing;
    // a misspelt declaration keyword starts a declaration of its own.
    const inDeclaration = error.context.ruleStack.length > 1;
    const owner = keyword && DECLARATION_WORDS.has(keyword) ? tok.startOffset : declarationAt(starts, atEnd ? Infinity : inDeclaration ? tok.startOffset - 1 : tok.startOffset);
    if (reported.has(owner)) continue;
    reported.add(owner);
    // A misspelt clause keyword (`lable click`) is followed by a column, not by a declared name.
    const declares = !inDeclaration && !(keyword && !DECLARATION_WORDS.has(keyword));
    if (!atEnd) collectBrokenNames(tokens, tok, declares, names);
    // A stray name in letters outside ASCII is reported by the lexer already (MTL1008).
    if (!inDeclaration && lexed.foreignNames.has(tok.startOffset)) continue;
    const expected = afterBareName(error, tokens) ? "':', ',' or ')'" : error.message;
    const d = diagnostic("MTL1003", file, range, expected, atEnd ? "the end of the file" : describe(tok), keyword ? ` Did you mean '${keyword}'?` : "");
    if (keyword) {
      d.fixes = [replacement(range, tok.image, keyword)];
      if (DECLARATION_WORDS.has(keyword)) broken.add(keyword);
    }
    out.push(d);
  }
  return out;
}

/**
 * An argument that is a bare name followed by more (`buckets 10`, `transform
 * log1p`) may be an option missing its ':' as well as a value missing the
 * ',' after it: the call's "',' or ')'" leaves out the likelier fix.
 */
function afterBareName(error: IRecognitionException, tokens: readonly IToken[]): boolean {
  const previous = (error as IRecognitionException & { previousToken?: IToken }).previousToken;
  // Only before a number, string or name: before the next declaration or the end of the file the call is rather
  // missing its ')', and before '[' its ',' (`mlp(x [64])`).
  const found = error.token;
  if (!(found.tokenType === NumberLiteral || found.tokenType === StringLiteral || found.tokenType === UnterminatedString || isNameToken(found))) return false;
  if (error.context.ruleStack.at(-1) !== "call" || !previous || !isNameToken(previous)) return false;
  const before = tokens[firstAtOrAfter(tokens, previous.startOffset) - 1];
  return before !== undefined && (before.tokenType === LParen || before.tokenType === Comma);
}

/** Names a syntax error kept out of the AST (see SpecFile.lostNames and skippedNames). */
interface BrokenNames {
  lost: Set<string>;
  skipped: Set<string>;
}

/**
 * The names from the error's token to the next declaration, which recovery
 * skips; after an error outside any declaration (`gaet g = ...`, a keyword
 * misspelt or missing), the name right after the error's word is the name
 * that declaration would have declared.
 */
function collectBrokenNames(tokens: IToken[], tok: IToken, declares: boolean, names: BrokenNames): void {
  let at = firstAtOrAfter(tokens, tok.startOffset);
  if (declares && isNameToken(tokens[at]) && isNameToken(tokens[at + 1])) names.lost.add(tokens[at + 1]!.image);
  for (; at < tokens.length && !keywordOf(tokens[at]!.tokenType)?.declaration; at++) {
    if (isNameToken(tokens[at])) names.skipped.add(tokens[at]!.image);
  }
}

/** How many of `count` ascending offsets (the i-th is `at(i)`) lie below `limit`: a binary search. */
function countBelow(count: number, at: (i: number) => number, limit: number): number {
  let lo = 0;
  let hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (at(mid) < limit) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The index of the first token starting at or after `offset` (tokens.length if none). */
function firstAtOrAfter(tokens: readonly IToken[], offset: number): number {
  return countBelow(tokens.length, (i) => tokens[i]!.startOffset, offset);
}

/** The start of the declaration (by its keyword's offset, -1 before the first) that `offset` is in. */
function declarationAt(starts: readonly number[], offset: number): number {
  const before = countBelow(starts.length, (i) => starts[i]!, offset + 1);
  return before === 0 ? -1 : starts[before - 1]!;
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

import { Lexer, type ILexingError, type IToken } from "./chevrotain.js";
import { diagnostic, type Diagnostic } from "../diagnostics/diagnostic.js";
import type { Range } from "./ast.js";
import type { LineIndex } from "./range.js";
import { ALL_TOKENS, CLOSING, NumberLiteral, OPENING, UnterminatedString } from "./tokens.js";

/** Deeper nesting than any real spec needs; it bounds the parser's recursion. */
export const MAX_NESTING = 64;

const lexer = new Lexer(ALL_TOKENS, { positionTracking: "onlyOffset", ensureOptimizations: true });

export interface LexResult {
  tokens: IToken[];
  /** `##` doc comments, in order. */
  docs: IToken[];
  /** `#` comments, in order. */
  comments: IToken[];
  diagnostics: Diagnostic[];
}

export function lex(lines: LineIndex, file: string, options: { invalidBytesReported?: boolean } = {}): LexResult {
  const text = lines.text;
  const result = lexer.tokenize(text);
  const diagnostics: Diagnostic[] = [];
  for (const error of result.errors) {
    const report = lexingDiagnostic(error, lines, file, options.invalidBytesReported ?? false);
    if (report) diagnostics.push(report);
  }
  for (const token of result.tokens) {
    if (token.tokenType === UnterminatedString) {
      diagnostics.push(diagnostic("MTL1002", file, lines.tokenRange(token)));
    } else if (token.tokenType === NumberLiteral && !Number.isFinite(parseNumber(token.image))) {
      diagnostics.push(diagnostic("MTL1006", file, lines.tokenRange(token), token.image));
    }
  }
  const tokens = limitNesting(result.tokens, lines, file, diagnostics);
  return { tokens, docs: result.groups["docs"] ?? [], comments: result.groups["comments"] ?? [], diagnostics };
}

/** Both kinds of comment, in source order. */
export function allComments(lexed: LexResult): IToken[] {
  return [...lexed.comments, ...lexed.docs].sort((a, b) => a.startOffset - b.startOffset);
}

export function parseNumber(image: string): number {
  return Number(image.replace(/_/g, ""));
}

function lexingDiagnostic(error: ILexingError, lines: LineIndex, file: string, invalidBytesReported: boolean): Diagnostic | undefined {
  let chars = lines.text.substr(error.offset, error.length);
  if (invalidBytesReported) chars = chars.replace(/\uFFFD/g, "");
  if (chars.trim() === "") return undefined;
  const range: Range = lines.range(error.offset, error.offset + error.length);
  const shown = chars.length > 20 ? chars.slice(0, 20) + "..." : chars;
  return diagnostic("MTL1001", file, range, printable(shown));
}

function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/**
 * Drops whatever is nested deeper than MAX_NESTING and reports it once per
 * region, so a pathological file cannot exhaust the parser's stack.
 */
function limitNesting(tokens: IToken[], lines: LineIndex, file: string, diagnostics: Diagnostic[]): IToken[] {
  let depth = 0;
  let deepest = 0;
  for (const token of tokens) {
    if (OPENING.has(token.tokenType)) deepest = Math.max(deepest, ++depth);
    else if (CLOSING.has(token.tokenType)) depth = Math.max(0, depth - 1);
  }
  if (deepest <= MAX_NESTING) return tokens;

  const kept: IToken[] = [];
  depth = 0;
  for (const token of tokens) {
    const opening = OPENING.has(token.tokenType);
    const closing = CLOSING.has(token.tokenType);
    if (opening) depth++;
    if (depth <= MAX_NESTING) {
      kept.push(token);
    } else if (opening && depth === MAX_NESTING + 1) {
      diagnostics.push(diagnostic("MTL1005", file, lines.tokenRange(token), MAX_NESTING));
    }
    if (closing && depth > 0) depth--;
  }
  return kept;
}

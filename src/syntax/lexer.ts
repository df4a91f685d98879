import { createTokenInstance, Lexer, type ILexingError, type IToken } from "./chevrotain.js";
import { diagnostic, type Diagnostic } from "../diagnostics/diagnostic.js";
import type { Range } from "./ast.js";
import { isIdentifier } from "./column-text.js";
import type { LineIndex } from "./range.js";
import { ALL_TOKENS, CLOSING, DECLARATION_WORDS, Identifier, keywordOf, NumberLiteral, OPENING, UnterminatedString } from "./tokens.js";

/** Deeper nesting than any real spec needs; it bounds the parser's recursion. */
export const MAX_NESTING = 64;

const lexer = new Lexer(ALL_TOKENS, { positionTracking: "onlyOffset", ensureOptimizations: true });

export interface LexResult {
  tokens: IToken[];
  /** `##` doc comments, in order. */
  docs: IToken[];
  /** `#` comments, in order. */
  comments: IToken[];
  /** Start offsets of the names written in letters outside ASCII, reported already (MTL1008). */
  foreignNames: ReadonlySet<number>;
  diagnostics: Diagnostic[];
}

export function lex(lines: LineIndex, file: string, options: { invalidBytesReported?: boolean } = {}): LexResult {
  const text = lines.text;
  const result = lexer.tokenize(text);
  const diagnostics: Diagnostic[] = [];
  const foreignNames = new Set<number>();
  const { tokens: lexedTokens, errors } = result.errors.length > 0 ? joinForeignNames(text, result.tokens, result.errors, lines, file, diagnostics, foreignNames) : result;
  for (const error of errors) {
    const report = lexingDiagnostic(error, lines, file, options.invalidBytesReported ?? false);
    if (report) diagnostics.push(report);
  }
  for (const token of lexedTokens) {
    if (token.tokenType === UnterminatedString) {
      diagnostics.push(diagnostic("MTL1002", file, lines.tokenRange(token)));
    } else if (token.tokenType === NumberLiteral && !Number.isFinite(parseNumber(token.image))) {
      diagnostics.push(diagnostic("MTL1006", file, lines.tokenRange(token), token.image));
    }
  }
  const tokens = limitNesting(lexedTokens, lines, file, diagnostics);
  return { tokens, docs: result.groups["docs"] ?? [], comments: result.groups["comments"] ?? [], foreignNames, diagnostics };
}

/** Letters, marks and digits of any script, which the lexer's names (ASCII) leave out. */
const FOREIGN = /^[\p{L}\p{M}\p{N}_]+$/u;

/**
 * A name written with letters outside ASCII (`usér_id`, `点击`) is lexed as
 * unexpected characters between names; the parser would then stumble over
 * each piece. Each such run, with the name pieces it touches, becomes one
 * name token, reported once (MTL1008, suggesting the name's ASCII spelling
 * when accents are all that differs), so parsing goes on as if it were a
 * name. Other unexpected characters stay lexing errors.
 */
function joinForeignNames(
  text: string,
  tokens: IToken[],
  errors: ILexingError[],
  lines: LineIndex,
  file: string,
  diagnostics: Diagnostic[],
  joined: Set<number>,
): { tokens: IToken[]; errors: ILexingError[] } {
  const out: IToken[] = [];
  const rest: ILexingError[] = [];
  const wordy = (t: IToken | undefined) =>
    t !== undefined && (t.tokenType === Identifier || keywordOf(t.tokenType) !== undefined || (t.tokenType === NumberLiteral && /^[0-9_]+$/.test(t.image)));
  const foreign = (e: ILexingError | undefined) => e !== undefined && FOREIGN.test(text.substr(e.offset, e.length));
  let i = 0;
  for (let k = 0; k < errors.length; k++) {
    const error = errors[k]!;
    if (!foreign(error)) {
      rest.push(error);
      continue;
    }
    while (i < tokens.length && tokens[i]!.startOffset < error.offset) out.push(tokens[i++]!);
    let start = error.offset;
    let end = error.offset + error.length;
    const before = out[out.length - 1];
    if (wordy(before) && before!.startOffset + before!.image.length === start) start = out.pop()!.startOffset;
    for (;;) {
      if (wordy(tokens[i]) && tokens[i]!.startOffset === end) end += tokens[i++]!.image.length;
      else if (foreign(errors[k + 1]) && errors[k + 1]!.offset === end) end += errors[++k]!.length;
      else break;
    }
    const image = text.slice(start, end);
    out.push(createTokenInstance(Identifier, image, start, end - 1, NaN, NaN, NaN, NaN));
    joined.add(start);
    const ascii = image.normalize("NFD").replace(/\p{M}/gu, "");
    const hint = isIdentifier(ascii) && !DECLARATION_WORDS.has(ascii) ? ascii : undefined;
    const range = lines.range(start, end);
    // A hint, not a fix: the name may be a column of the data (or a feature reading the column named like it), which a new spelling would not read.
    diagnostics.push(diagnostic("MTL1008", file, range, image, hint ? `, e.g. '${hint}'` : ""));
  }
  while (i < tokens.length) out.push(tokens[i++]!);
  return { tokens: out, errors: rest };
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

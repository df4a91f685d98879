import { Lexer, type IToken, type TokenType } from "chevrotain";
import { ALL_TOKENS, Comma, Identifier, RBracket, RParen, StringLiteral } from "../syntax/tokens.js";

/**
 * The formatter's own view of the lexer: the same token definitions as the
 * parser, but keeping the comment groups (`#` and `##`) beside the code
 * tokens, both in source order.
 */
const lexer = new Lexer(ALL_TOKENS, { positionTracking: "onlyOffset", ensureOptimizations: true });

export interface Lexed {
  /** Code tokens, in order. */
  code: IToken[];
  /** `#` and `##` comments, in order. */
  comments: IToken[];
  /** True when the lexer met characters it does not know. */
  hadErrors: boolean;
}

export function lexWithComments(text: string): Lexed {
  const result = lexer.tokenize(text);
  const comments = [...(result.groups["comments"] ?? []), ...(result.groups["docs"] ?? [])].sort((a, b) => a.startOffset - b.startOffset);
  return { code: result.tokens, comments, hadErrors: result.errors.length > 0 };
}

export function isName(type: TokenType): boolean {
  return type === Identifier || (type.CATEGORIES?.includes(Identifier) ?? false);
}

export function isString(type: TokenType): boolean {
  return type === StringLiteral || (type.CATEGORIES?.includes(StringLiteral) ?? false);
}

/**
 * What formatting must not change: every code token and comment, in order.
 * The formatter's only liberties are whitespace, trailing whitespace inside
 * comments, and the trailing comma of a list or call (present exactly when
 * the list is wrapped over several lines), so those are normalised away.
 */
export function significantTokens(text: string): string[] {
  const { code, comments } = lexWithComments(text);
  const all = [...code, ...comments].sort((a, b) => a.startOffset - b.startOffset);
  const out: string[] = [];
  for (let i = 0; i < all.length; i++) {
    const tok = all[i]!;
    if (tok.tokenType === Comma) {
      // A comma whose next code token closes a list or call is a trailing comma.
      let j = i + 1;
      while (j < all.length && isComment(all[j]!)) j++;
      const next = all[j];
      if (next && (next.tokenType === RBracket || next.tokenType === RParen)) continue;
    }
    out.push(isComment(tok) ? tok.image.trimEnd() : tok.image);
  }
  return out;
}

function isComment(tok: IToken): boolean {
  return tok.image.startsWith("#");
}

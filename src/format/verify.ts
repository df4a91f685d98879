import { allComments, lex } from "../syntax/lexer.js";
import { LineIndex } from "../syntax/range.js";
import { Comma, RBracket, RParen } from "../syntax/tokens.js";

/**
 * What formatting must not change: every code token and comment, in order.
 * The formatter's only liberties are whitespace, trailing whitespace inside
 * comments, and the trailing comma of a list or call (present exactly when
 * the list is wrapped over several lines), so those are normalised away.
 */
export function significantTokens(text: string): string[] {
  const lexed = lex(new LineIndex(text), "");
  const comments = new Set(allComments(lexed));
  const all = [...lexed.tokens, ...comments].sort((a, b) => a.startOffset - b.startOffset);
  const out: string[] = [];
  for (let i = 0; i < all.length; i++) {
    const tok = all[i]!;
    if (tok.tokenType === Comma) {
      // A comma whose next code token closes a list or call is a trailing comma.
      let j = i + 1;
      while (j < all.length && comments.has(all[j]!)) j++;
      const next = all[j];
      if (next && (next.tokenType === RBracket || next.tokenType === RParen)) continue;
    }
    out.push(comments.has(tok) ? tok.image.trimEnd() : tok.image);
  }
  return out;
}

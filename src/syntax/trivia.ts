import type { IToken } from "./chevrotain.js";

/**
 * Comments and blank lines, attached to the code token they precede (as
 * Roslyn and the TypeScript compiler attach trivia): the parse tree holds
 * every code token, so it holds every comment too, and a printer that emits
 * the tree's tokens in order meets each comment exactly once.
 */
export interface CommentTrivia {
  /** The comment, `#` or `##` included, without trailing blanks. */
  text: string;
  /** On the same line as the token or comment before it. */
  trailing: boolean;
  /** A blank line separates it from the token or comment before it. */
  blankBefore: boolean;
}

export interface Trivia {
  comments: readonly CommentTrivia[];
  /** A blank line separates the token from the token or comment before it. */
  blankBefore: boolean;
}

const NONE: Trivia = { comments: [], blankBefore: false };

export class TriviaMap {
  constructor(
    private readonly byToken: ReadonlyMap<IToken, Trivia>,
    /** The comments after the last code token. */
    readonly end: Trivia,
  ) {}

  /** What precedes `token`: the comments since the previous code token, and whether a blank line does. */
  before(token: IToken): Trivia {
    return this.byToken.get(token) ?? NONE;
  }
}

/** `code` and `comments` in source order, as the lexer returns them. The first thing in a file has nothing before it, so no blank line. */
export function attachTrivia(text: string, code: readonly IToken[], comments: readonly IToken[]): TriviaMap {
  const byToken = new Map<IToken, Trivia>();
  let prevEnd = -1;
  let c = 0;
  const leading = (before: number): Trivia => {
    const found: CommentTrivia[] = [];
    for (; c < comments.length && comments[c]!.startOffset < before; c++) {
      const comment = comments[c]!;
      const breaks = lineBreaks(text, prevEnd, comment.startOffset);
      found.push({ text: comment.image.trimEnd(), trailing: prevEnd >= 0 && breaks === 0, blankBefore: breaks >= 2 });
      prevEnd = comment.startOffset + comment.image.length;
    }
    return { comments: found, blankBefore: lineBreaks(text, prevEnd, before) >= 2 };
  };
  for (const token of code) {
    const trivia = leading(token.startOffset);
    if (trivia.comments.length > 0 || trivia.blankBefore) byToken.set(token, trivia);
    prevEnd = token.startOffset + token.image.length;
  }
  return new TriviaMap(byToken, leading(Number.POSITIVE_INFINITY));
}

/** Line breaks (\n, \r\n, \r) between two offsets, counting up to 2; none before the start of the file. */
function lineBreaks(text: string, from: number, to: number): number {
  if (from < 0) return 0;
  let breaks = 0;
  const end = Math.min(to, text.length);
  for (let k = from; k < end && breaks < 2; k++) {
    const ch = text.charCodeAt(k);
    if (ch === 10 || (ch === 13 && text.charCodeAt(k + 1) !== 10)) breaks++;
  }
  return breaks;
}

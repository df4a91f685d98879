import type { IToken } from "chevrotain";
import type { Position, Range } from "./ast.js";

export function tokenRange(token: IToken): Range {
  return {
    start: { line: token.startLine ?? 1, column: token.startColumn ?? 1, offset: token.startOffset },
    end: endOf(token),
  };
}

/** Chevrotain's end positions are inclusive; ours are exclusive. */
function endOf(token: IToken): Position {
  const endOffset = (token.endOffset ?? token.startOffset) + 1;
  return { line: token.endLine ?? token.startLine ?? 1, column: (token.endColumn ?? token.startColumn ?? 0) + 1, offset: endOffset };
}

export function span(from: Range, to: Range): Range {
  return { start: from.start, end: to.end };
}

/** The position of `offset` in `text`, counting lines as the lexer does (\n, \r\n, \r). */
export function positionAt(text: string, offset: number): Position {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1, offset };
}

export function rangeAt(text: string, offset: number, length: number): Range {
  return { start: positionAt(text, offset), end: positionAt(text, offset + length) };
}

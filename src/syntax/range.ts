import type { IToken } from "./chevrotain.js";
import type { Position, Range } from "./ast.js";

/**
 * Offsets → 1-based lines and columns. The lexer tracks offsets only (the
 * cheapest mode); positions are computed on demand from a table of line
 * starts, counting line breaks as the lexer does (\n, \r\n, \r).
 */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(readonly text: string) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) this.starts.push(i + 1);
    }
  }

  position(offset: number): Position {
    const starts = this.starts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - starts[lo]! + 1, offset };
  }

  range(start: number, end: number): Range {
    return { start: this.position(start), end: this.position(end) };
  }

  /** Tokens never span lines (strings and comments stop at a line break). */
  tokenRange(token: IToken): Range {
    const start = this.position(token.startOffset);
    const length = token.image.length;
    return { start, end: { line: start.line, column: start.column + length, offset: token.startOffset + length } };
  }

  /** Just past the last character. */
  end(): Position {
    return this.position(this.text.length);
  }
}

export function span(from: Range, to: Range): Range {
  return { start: from.start, end: to.end };
}

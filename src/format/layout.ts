import type { IToken, TokenType } from "chevrotain";
import { builders, printer, type builders as B } from "prettier/doc";
import * as T from "../syntax/tokens.js";
import { isName, isString, type Lexed } from "./tokens.js";

type Doc = B.Doc;
const { fill, group, hardline, ifBreak, indent, line, softline } = builders;

/** Lines longer than this wrap their lists (the `columns` of a data section, long vocabularies). */
export const PRINT_WIDTH = 100;

/**
 * The canonical layout, from the token stream of a spec that parses cleanly:
 *
 * - one declaration per line, blank lines between groups kept (runs collapsed
 *   to one), none at the start or end of the file;
 * - single spaces around `:` and `=` of declarations, `*`, `|` and clause keywords;
 *   `name: value` inside calls and blocks; `, ` between arguments and items;
 * - consecutive one-line declarations of the same kind (no blank line in
 *   between; comment lines allowed) are aligned in columns: the name, and for
 *   tasks also the type and the factors;
 * - `train { ... }` and `data { ... }` with one entry per line, indented two
 *   spaces; a list that does not fit in 100 columns wraps, filling lines, with
 *   a trailing comma (and a list that fits loses its trailing comma);
 * - comments stay where they were: a comment after code stays on that line
 *   (two spaces before `#`), a comment on its own line stays on its own line,
 *   so `##` doc comments stay right above the declaration they document.
 *
 * Every decision depends on the tokens, the comments and where blank lines
 * were, never on other whitespace, which makes the layout idempotent.
 */
export function layout(text: string, lexed: Lexed): string {
  return new Layout(text, lexed).file();
}

/** Thrown when the tokens do not follow the grammar; callers only format specs that parsed without errors. */
export class LayoutError extends Error {
  override name = "LayoutError";
}

type AlignKind = "feature" | "input" | "expert" | "gate" | "tower" | "task";

interface DeclItem {
  type: "decl";
  /** Kinds whose consecutive one-line declarations align; undefined for model and blocks. */
  align?: AlignKind;
  /** Column segments; padding goes between them when aligned. */
  segments: Doc[];
  /** Blocks lay out their own lines; other declarations indent their continuation lines. */
  block?: true;
  blankBefore: boolean;
  trailing?: string;
}

interface CommentItem {
  type: "comment";
  text: string;
  blankBefore: boolean;
}

type Item = DeclItem | CommentItem;

const CLAUSE_KEYWORDS = new Set<TokenType>([T.Label, T.Where, T.Weight, T.Loss]);

class Layout {
  private i = 0;
  private ci = 0;
  private last: IToken | undefined;
  private readonly code: IToken[];
  private readonly comments: IToken[];

  constructor(
    private readonly text: string,
    lexed: Lexed,
  ) {
    this.code = lexed.code;
    this.comments = lexed.comments;
  }

  // ── the file ────────────────────────────────────────────────────────────

  file(): string {
    const items: Item[] = [];
    let prevEnd = -1;
    const takeLeading = (before: number) => {
      for (const c of this.takeComments(before)) {
        const lastItem = items[items.length - 1];
        if (lastItem && lastItem.type === "decl" && lastItem.trailing === undefined && this.sameLine(prevEnd, c.startOffset)) {
          lastItem.trailing = commentText(c);
        } else {
          items.push({ type: "comment", text: commentText(c), blankBefore: prevEnd >= 0 && this.blankBetween(prevEnd, c.startOffset) });
        }
        prevEnd = end(c);
      }
    };
    while (this.i < this.code.length) {
      const kw = this.peek();
      takeLeading(kw.startOffset);
      const blankBefore = prevEnd >= 0 && this.blankBetween(prevEnd, kw.startOffset);
      const decl = this.decl();
      items.push({ ...decl, type: "decl", blankBefore });
      prevEnd = end(this.last!);
    }
    takeLeading(Number.MAX_SAFE_INTEGER);
    return render(items);
  }

  private decl(): Omit<DeclItem, "type" | "blankBefore"> {
    const kw = this.peek();
    switch (kw.tokenType) {
      case T.Model:
        return { segments: [this.modelDecl()] };
      case T.Feature:
        return { align: "feature", segments: this.namedCallDecl(T.Colon) };
      case T.Input:
        return { align: "input", segments: this.namedCallDecl(T.Equals) };
      case T.Tower:
        return { align: "tower", segments: this.namedCallDecl(T.Equals) };
      case T.Expert:
        return { align: "expert", segments: this.namedCallDecl(T.Equals) };
      case T.Gate:
        return { align: "gate", segments: this.namedCallDecl(T.Equals) };
      case T.Task:
        return { align: "task", segments: this.taskDecl() };
      case T.Train:
      case T.Data:
        return { block: true, segments: [this.block()] };
      default:
        throw new LayoutError(`expected a declaration at offset ${kw.startOffset}, found '${kw.image}'`);
    }
  }

  private modelDecl(): Doc {
    const parts: Doc[] = [this.next().image, this.take(" ", isName)];
    if (this.at() && isString(this.peek().tokenType)) parts.push(this.take(" "));
    return parts;
  }

  /** feature, input, expert, gate, tower: `KW NAME([N])? (:|=) call (over a, b)?` */
  private namedCallDecl(separator: TokenType): Doc[] {
    const kw = this.next();
    const head: Doc[] = [kw.image, this.take(" ", isName)];
    if ((kw.tokenType === T.Expert || kw.tokenType === T.Feature) && this.is(T.LBracket)) head.push(this.take(""), this.take("", T.NumberLiteral), this.take("", T.RBracket));
    const rest: Doc[] = [this.take(" ", separator), this.gap(" "), this.call()];
    if (kw.tokenType === T.Gate) {
      rest.push(this.take(" ", T.Over), this.take(" ", isName));
      while (this.is(T.Comma)) rest.push(this.take(""), this.take(" ", isName));
    }
    return [head, rest];
  }

  /** `task NAME : TYPE = F (* F)* clause*`, in four columns. */
  private taskDecl(): Doc[] {
    const name: Doc[] = [this.next().image, this.take(" ", isName)];
    const type: Doc[] = [this.take(" ", T.Colon), this.take(" ", isName)];
    const factors: Doc[] = [this.take(" ", T.Equals), this.take(" ", isName)];
    while (this.is(T.Star)) factors.push(this.take(" "), this.take(" ", isName));
    const clauses: Doc[] = [];
    while (this.at() && CLAUSE_KEYWORDS.has(this.peek().tokenType)) {
      const keyword = this.peek().tokenType;
      clauses.push(this.take(" "));
      if (keyword === T.Label || keyword === T.Where) {
        clauses.push(this.take(" ", (t) => isName(t) || isString(t)));
        if (this.is(T.Is)) {
          clauses.push(this.take(" "), this.gap(" "), this.value());
          while (this.is(T.Pipe)) clauses.push(this.take(" "), this.gap(" "), this.value());
        }
      } else if (keyword === T.Weight) {
        clauses.push(this.take(" ", T.NumberLiteral));
      } else {
        clauses.push(this.gap(" "), this.value());
      }
    }
    return [name, type, factors, clauses];
  }

  /** `train { ... }` / `data { ... }`: one entry per line, blank lines between entries kept. */
  private block(): Doc {
    const head: Doc[] = [this.next().image, this.take(" ", T.LCurly)];
    const body: Doc[] = [];
    let lines = 0;
    let openLine = false; // the current line ends in a comment: something must break it
    let prevEnd = end(this.last!);
    for (;;) {
      if (!this.at()) throw new LayoutError("unterminated block");
      for (const c of this.takeComments(this.peek().startOffset)) {
        if (this.sameLine(prevEnd, c.startOffset)) {
          body.push("  ", commentText(c));
        } else {
          body.push(hardline, lines > 0 && this.blankBetween(prevEnd, c.startOffset) ? hardline : "", commentText(c));
          lines++;
        }
        openLine = true;
        prevEnd = end(c);
      }
      if (this.is(T.RCurly)) break;
      const blank = lines > 0 && this.blankBetween(prevEnd, this.peek().startOffset);
      // The entry's own gaps see the comments after its first token only.
      const entry: Doc[] = [this.expect(isName).image, this.take("", T.Colon), this.gap(" "), this.value()];
      if (this.is(T.Comma)) entry.push(this.take(""));
      body.push(hardline, blank ? hardline : "", entry);
      lines++;
      openLine = false;
      prevEnd = end(this.last!);
    }
    this.next(); // }
    return [head, indent(body), lines > 0 || openLine ? hardline : "", "}"];
  }

  // ── expressions ─────────────────────────────────────────────────────────

  private value(): Doc {
    const tok = this.peek();
    if (tok.tokenType === T.LBracket) return this.list();
    if (isName(tok.tokenType) && this.code[this.i + 1]?.tokenType === T.LParen) return this.call();
    if (tok.tokenType === T.NumberLiteral || tok.tokenType === T.Star || isString(tok.tokenType) || isName(tok.tokenType)) return this.next().image;
    throw new LayoutError(`expected a value at offset ${tok.startOffset}, found '${tok.image}'`);
  }

  /**
   * `name(arg, name: value)`: calls stay on their line (declarations are one
   * per line); only a comment inside breaks one. A trailing comma is dropped.
   */
  private call(): Doc {
    const parts: Doc[] = [this.expect(isName).image, this.take("", T.LParen)];
    if (!this.is(T.RParen)) {
      parts.push(this.gap(""), this.arg());
      while (this.is(T.Comma)) {
        if (this.code[this.i + 1]?.tokenType === T.RParen) {
          parts.push(this.gap(""));
          this.next();
          break;
        }
        parts.push(this.take(""), this.gap(" "), this.arg());
      }
    }
    parts.push(this.take("", T.RParen));
    return parts;
  }

  private arg(): Doc {
    if (this.code[this.i + 1]?.tokenType === T.Colon) return [this.expect(isName).image, this.take("", T.Colon), this.gap(" "), this.value()];
    return this.value();
  }

  /** `[a, b, c]`, or filled lines of items with a trailing comma when it does not fit. */
  private list(): Doc {
    this.expect(T.LBracket);
    if (this.is(T.RBracket)) return ["[", this.take("")];
    const items: Doc[] = [];
    const first = this.gap(softline);
    let item: Doc[] = [this.value()];
    while (this.is(T.Comma)) {
      if (this.code[this.i + 1]?.tokenType === T.RBracket) {
        item.push(this.gap(""));
        this.next();
        break;
      }
      item.push(this.take(""));
      items.push(item, this.gap(line));
      item = [this.value()];
    }
    // The trailing comma belongs to the last item, so that filling counts it.
    const id = Symbol("list");
    items.push([...item, ifBreak(",", "", { groupId: id })]);
    const close = this.gap(softline);
    this.expect(T.RBracket);
    return group(["[", indent([first, fill(items)]), close, "]"], { id });
  }

  // ── tokens and the comments between them ────────────────────────────────

  private at(): boolean {
    return this.i < this.code.length;
  }

  private peek(): IToken {
    const tok = this.code[this.i];
    if (!tok) throw new LayoutError("unexpected end of the file");
    return tok;
  }

  private is(type: TokenType): boolean {
    return this.at() && this.peek().tokenType === type;
  }

  private next(): IToken {
    const tok = this.peek();
    this.i++;
    this.last = tok;
    return tok;
  }

  private expect(want: TokenType | ((type: TokenType) => boolean)): IToken {
    const tok = this.peek();
    const ok = typeof want === "function" ? want(tok.tokenType) : tok.tokenType === want;
    if (!ok) throw new LayoutError(`unexpected '${tok.image}' at offset ${tok.startOffset}`);
    return this.next();
  }

  /** The separator before the next token, then the token itself. */
  private take(normal: Doc, want?: TokenType | ((type: TokenType) => boolean)): Doc {
    const gap = this.gap(normal);
    const tok = want === undefined ? this.next() : this.expect(want);
    return [gap, tok.image];
  }

  /**
   * The separator between the last token and the next one: `normal`, unless
   * comments sit in between. A comment on the last token's line stays there;
   * others get lines of their own; the next token starts a new line.
   */
  private gap(normal: Doc): Doc {
    const before = this.at() ? this.peek().startOffset : Number.MAX_SAFE_INTEGER;
    const comments = this.takeComments(before);
    if (comments.length === 0) return normal;
    const parts: Doc[] = [];
    comments.forEach((c, k) => {
      if (k === 0 && this.last && this.sameLine(end(this.last), c.startOffset)) parts.push("  ", commentText(c), hardline);
      else parts.push(k === 0 ? hardline : "", commentText(c), hardline);
    });
    return parts;
  }

  private takeComments(before: number): IToken[] {
    const out: IToken[] = [];
    while (this.ci < this.comments.length && this.comments[this.ci]!.startOffset < before) out.push(this.comments[this.ci++]!);
    return out;
  }

  private sameLine(from: number, to: number): boolean {
    for (let k = from; k < to; k++) {
      const c = this.text.charCodeAt(k);
      if (c === 10 || c === 13) return false;
    }
    return true;
  }

  private blankBetween(from: number, to: number): boolean {
    const between = this.text.slice(from, to);
    return (between.match(/\r\n|\r|\n/g)?.length ?? 0) >= 2;
  }
}

function end(tok: IToken): number {
  return tok.startOffset + tok.image.length;
}

function commentText(tok: IToken): string {
  return tok.image.trimEnd();
}

// ── printing ──────────────────────────────────────────────────────────────

function print(doc: Doc, width: number): string {
  return printer.printDocToString(doc, { printWidth: width, tabWidth: 2, useTabs: false }).formatted;
}

interface Printed {
  item: DeclItem;
  /** The declaration on one line, split into its columns; undefined when it takes several lines. */
  columns?: string[];
  /** The declaration laid out on its own, unaligned. */
  text: string;
}

function render(items: Item[]): string {
  const printed = new Map<DeclItem, Printed>();
  for (const item of items) {
    if (item.type !== "decl") continue;
    const text = print(item.block ? item.segments : indent(item.segments), PRINT_WIDTH);
    const columns = text.includes("\n") ? undefined : item.segments.map((s) => print(s, Number.MAX_SAFE_INTEGER));
    printed.set(item, { item, text, ...(columns && { columns }) });
  }
  align(items, printed);

  const out: string[] = [];
  for (const item of items) {
    if (item.blankBefore && out.length > 0) out.push("");
    if (item.type === "comment") {
      out.push(item.text);
      continue;
    }
    const lines = printed.get(item)!.text.split("\n");
    if (item.trailing !== undefined) lines[lines.length - 1] += "  " + item.trailing;
    out.push(...lines);
  }
  const text = out.map((l) => l.replace(/[ \t]+$/, "")).join("\n");
  return text === "" ? "" : text + "\n";
}

/**
 * Runs of one-line declarations of one kind, with no blank line between
 * them (comment lines may sit in between), are aligned in columns.
 */
function align(items: Item[], printed: Map<DeclItem, Printed>): void {
  let run: Printed[] = [];
  const flush = () => {
    if (run.length > 1) alignRun(run);
    run = [];
  };
  for (const item of items) {
    if (item.blankBefore) flush();
    if (item.type === "comment") continue;
    const p = printed.get(item)!;
    if (!item.align || !p.columns) {
      flush();
      continue;
    }
    if (run.length > 0 && run[0]!.item.align !== item.align) flush();
    run.push(p);
  }
  flush();
}

function alignRun(run: Printed[]): void {
  const count = run[0]!.columns!.length;
  const widths: number[] = [];
  for (let c = 0; c < count - 1; c++) widths.push(Math.max(...run.map((p) => p.columns![c]!.length)));
  for (const p of run) {
    const columns = p.columns!;
    // Pad a column only when something follows it on the line.
    let lastFilled = count - 1;
    while (lastFilled > 0 && columns[lastFilled] === "") lastFilled--;
    p.text = columns.map((col, c) => (c < lastFilled ? col.padEnd(widths[c]!) : col)).join("");
  }
}

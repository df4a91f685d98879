import type { IToken } from "../syntax/chevrotain.js";
import { builders, printer, type builders as B } from "prettier/doc";
import type { SyntaxTree } from "../syntax/parse.js";
import type { ArgNode, CallNode, DeclNode, ListNode, NamedValueNode, ValueNode } from "../syntax/parse-tree.js";
import type { Trivia } from "../syntax/trivia.js";

type Doc = B.Doc;
const { fill, group, hardline, ifBreak, indent, line, softline } = builders;

/** Lines longer than this wrap their lists (the `columns` of a data section, long vocabularies). */
export const PRINT_WIDTH = 100;

/**
 * The canonical layout, printed from the syntax tree of a spec that parses
 * cleanly (every token is in the tree, every comment attached to the token
 * after it):
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
export function layout(tree: SyntaxTree): string {
  return new Layout(tree).file();
}

/** Thrown when the tree is not that of a clean parse; callers only format specs that parsed without errors. */
export class LayoutError extends Error {
  override name = "LayoutError";
}

interface DeclItem {
  type: "decl";
  /** Kinds whose consecutive one-line declarations align; undefined for model and blocks. */
  align?: DeclNode["kind"];
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

class Layout {
  constructor(private readonly tree: SyntaxTree) {}

  // ── the file ────────────────────────────────────────────────────────────

  file(): string {
    const items: Item[] = [];
    const leading = (trivia: Trivia) => {
      for (const c of trivia.comments) {
        const lastItem = items[items.length - 1];
        if (c.trailing && lastItem?.type === "decl" && lastItem.trailing === undefined) lastItem.trailing = c.text;
        else items.push({ type: "comment", text: c.text, blankBefore: c.blankBefore });
      }
    };
    for (const node of this.tree.decls) {
      const trivia = this.trivia(need(node.keyword));
      leading(trivia);
      items.push({ ...this.decl(node), type: "decl", blankBefore: trivia.blankBefore });
    }
    leading(this.tree.trivia.end);
    return render(items);
  }

  private decl(node: DeclNode): Omit<DeclItem, "type" | "blankBefore"> {
    switch (node.kind) {
      case "model":
        return { segments: [this.modelDecl(node)] };
      case "feature":
        return { align: node.kind, segments: this.namedCallDecl(node, node.colon) };
      case "input":
      case "tower":
      case "expert":
      case "gate":
        return { align: node.kind, segments: this.namedCallDecl(node, node.equals) };
      case "task":
        return { align: node.kind, segments: this.taskDecl(node) };
      case "block":
      case "train":
      case "data":
        return { block: true, segments: [this.block(node)] };
    }
  }

  private modelDecl(node: DeclNode): Doc {
    const parts: Doc[] = [need(node.keyword).image, this.take(" ", node.name)];
    if (node.description) parts.push(this.take(" ", node.description));
    return parts;
  }

  /** feature, input, expert, gate, tower: `KW NAME([N])? (:|=) call (over a, b)?` */
  private namedCallDecl(node: DeclNode, separator: IToken | undefined): Doc[] {
    const head: Doc[] = [need(node.keyword).image, this.take(" ", node.name)];
    if (node.lbracket) head.push(this.take("", node.lbracket), this.take("", node.count), this.take("", node.rbracket));
    const call = need(node.call);
    const rest: Doc[] = [this.take(" ", separator), this.gap(" ", call.callee), this.call(call)];
    if (node.overKeyword) {
      rest.push(this.take(" ", node.overKeyword));
      node.over.forEach((name, k) => rest.push(...(k > 0 ? [this.take("", node.separators[k - 1])] : []), this.take(" ", name)));
    }
    return [head, rest];
  }

  /** `task NAME : TYPE = F (* F)* clause*`, in four columns. */
  private taskDecl(node: DeclNode): Doc[] {
    const name: Doc[] = [need(node.keyword).image, this.take(" ", node.name)];
    const type: Doc[] = [this.take(" ", node.colon), this.take(" ", node.type)];
    const factors: Doc[] = [this.take(" ", node.equals)];
    node.factors.forEach((factor, k) => factors.push(...(k > 0 ? [this.take(" ", node.separators[k - 1])] : []), this.take(" ", factor)));
    const clauses: Doc[] = [];
    for (const clause of node.clauses) {
      clauses.push(this.take(" ", clause.keyword));
      if (clause.column) {
        clauses.push(this.take(" ", clause.column));
        if (clause.is) {
          clause.positives.forEach((value, k) => clauses.push(this.take(" ", k > 0 ? clause.pipes[k - 1] : clause.is), this.gap(" ", firstToken(value)), this.value(value)));
        }
      } else if (clause.weight) {
        clauses.push(this.take(" ", clause.weight));
      } else if (clause.task) {
        clauses.push(this.take(" ", clause.task));
      } else {
        const loss = need(clause.loss);
        clauses.push(this.gap(" ", firstToken(loss)), this.value(loss));
      }
    }
    return [name, type, factors, clauses];
  }

  /** `train { ... }` / `data { ... }`: one entry per line, blank lines between entries kept. */
  private block(node: DeclNode): Doc {
    const head: Doc[] = [need(node.keyword).image, this.take(" ", node.lcurly)];
    const body: Doc[] = [];
    let lines = 0;
    let openLine = false; // the current line ends in a comment: something must break it
    for (const entry of [...node.entries, undefined]) {
      const first = need(entry ? entry.name : node.rcurly);
      const trivia = this.trivia(first);
      for (const c of trivia.comments) {
        if (c.trailing) {
          body.push("  ", c.text);
        } else {
          body.push(hardline, lines > 0 && c.blankBefore ? hardline : "", c.text);
          lines++;
        }
        openLine = true;
      }
      if (!entry) break;
      const blank = lines > 0 && trivia.blankBefore;
      // The entry's own gaps see the comments after its first token only.
      const line: Doc[] = [first.image, ...this.namedValue(entry)];
      if (entry.comma) line.push(this.take("", entry.comma));
      body.push(hardline, blank ? hardline : "", line);
      lines++;
      openLine = false;
    }
    return [head, indent(body), lines > 0 || openLine ? hardline : "", "}"];
  }

  // ── expressions ─────────────────────────────────────────────────────────

  /** A value, whose first token's gap the caller has printed. */
  private value(node: ValueNode): Doc {
    if (node.list) return this.list(node.list);
    if (node.call) return this.call(node.call);
    return need(node.token).image;
  }

  /** `: value` after the name of a call option or block entry. */
  private namedValue(node: NamedValueNode): Doc[] {
    const value = need(node.value);
    return [this.take("", node.colon), this.gap(" ", firstToken(value)), this.value(value)];
  }

  /**
   * `name(arg, name: value)`: calls stay on their line (declarations are one
   * per line); only a comment inside breaks one. A trailing comma is dropped.
   */
  private call(node: CallNode): Doc {
    const parts: Doc[] = [need(node.callee).image, this.take("", node.lparen)];
    node.args.forEach((arg, k) => {
      if (k > 0) parts.push(this.take("", node.commas[k - 1]));
      parts.push(this.gap(k > 0 ? " " : "", argStart(arg)), this.arg(arg));
    });
    if (node.args.length > 0 && node.commas.length === node.args.length) parts.push(this.gap("", node.commas[node.commas.length - 1]));
    parts.push(this.take("", node.rparen));
    return parts;
  }

  private arg(node: ArgNode): Doc {
    if (node.named) return [need(node.named.name).image, ...this.namedValue(node.named)];
    return this.value(need(node.value));
  }

  /** `[a, b, c]`, or filled lines of items with a trailing comma when it does not fit. */
  private list(node: ListNode): Doc {
    if (node.items.length === 0) return ["[", this.take("", node.rbracket)];
    const items: Doc[] = [];
    const first = this.gap(softline, firstToken(node.items[0]!));
    let item: Doc[] = [this.value(node.items[0]!)];
    for (let k = 1; k < node.items.length; k++) {
      const value = node.items[k]!;
      item.push(this.take("", node.commas[k - 1]));
      items.push(item, this.gap(line, firstToken(value)));
      item = [this.value(value)];
    }
    if (node.commas.length === node.items.length) item.push(this.gap("", node.commas[node.commas.length - 1]));
    // The trailing comma belongs to the last item, so that filling counts it.
    const id = Symbol("list");
    items.push([...item, ifBreak(",", "", { groupId: id })]);
    const close = this.gap(softline, node.rbracket);
    return group(["[", indent([first, fill(items)]), close, "]"], { id });
  }

  // ── tokens and the comments before them ─────────────────────────────────

  private trivia(token: IToken): Trivia {
    return this.tree.trivia.before(token);
  }

  /** The separator before a token, then the token itself. */
  private take(normal: Doc, token: IToken | undefined): Doc {
    const tok = need(token);
    return [this.gap(normal, tok), tok.image];
  }

  /**
   * The separator before a token: `normal`, unless comments sit in between.
   * A comment on the previous token's line stays there; others get lines of
   * their own; the token starts a new line.
   */
  private gap(normal: Doc, token: IToken | undefined): Doc {
    const comments = this.trivia(need(token)).comments;
    if (comments.length === 0) return normal;
    const parts: Doc[] = [];
    comments.forEach((c, k) => {
      if (k === 0 && c.trailing) parts.push("  ", c.text, hardline);
      else parts.push(k === 0 ? hardline : "", c.text, hardline);
    });
    return parts;
  }
}

function firstToken(node: ValueNode): IToken | undefined {
  return node.token ?? node.list?.lbracket ?? node.call?.callee;
}

function argStart(node: ArgNode): IToken | undefined {
  return node.named ? node.named.name : node.value && firstToken(node.value);
}

/** A part a clean parse always has. */
function need<T>(part: T | undefined): T {
  if (part === undefined) throw new LayoutError("the syntax tree is incomplete: format only specs that parse without errors");
  return part;
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

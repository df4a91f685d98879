import type { IToken, TokenType } from "../syntax/chevrotain.js";
import { CompletionItemKind, type CompletionItem } from "vscode-languageserver/node.js";
import { isSingleton } from "../syntax/ast.js";
import { columnText } from "../syntax/column-text.js";
import { allComments, lex, type LexResult } from "../syntax/lexer.js";
import type { ArgNode, CallNode, DeclNode, NamedValueNode, ValueNode } from "../syntax/parse-tree.js";
import { nextTokens, parseDeclaration } from "../syntax/parser.js";
import { LineIndex } from "../syntax/range.js";
import * as T from "../syntax/tokens.js";
import { draft } from "../validation/option-types.js";
import { BLOCKS, CTORS_BY_DECL, DEBIAS_CTORS, LOSS_CTORS, LOSSES_BY_TYPE, TASK_TYPES, VALUE_KINDS, type CtorSchema, type RefKind, type ValueType } from "../validation/schema.js";
import { memberRange, type Sym } from "../validation/symbols.js";
import type { Analysis } from "./analysis.js";
import { typeText } from "./hover.js";

/**
 * Completion from the parser. The tokens of the declaration at the cursor
 * (the lexer's, up to the word being typed) go to chevrotain's content
 * assist, which says which token types the grammar allows next and in which
 * rules; keywords are offered from their token definitions, and a name slot
 * is filled from the option table (schema.ts) and the symbols of the last
 * analysis, read where the parse tree of those tokens says the cursor is.
 */

type Ctors = Readonly<Record<string, CtorSchema>>;

const SYM_KINDS: Record<RefKind, CompletionItemKind> = {
  feature: CompletionItemKind.Field,
  input: CompletionItemKind.Variable,
  expert: CompletionItemKind.Class,
  gate: CompletionItemKind.Operator,
  tower: CompletionItemKind.Struct,
  task: CompletionItemKind.Function,
};

/**
 * Completion reads at most this many characters before the cursor, so it
 * answers in bounded time on any document. A declaration that starts
 * further back (or a line longer than this) gets no completions.
 */
const COMPLETION_WINDOW = 64 * 1024;
/** The first stretch lexed back from the cursor; it doubles until it holds the declaration's keyword. */
const FIRST_STRETCH = 1024;

export function complete(text: string, offset: number, analysis: Analysis | undefined): CompletionItem[] {
  const windowStart = Math.max(0, offset - COMPLETION_WINDOW);
  const before = text.slice(windowStart, offset);
  const wordStart = identifierSuffixStart(before);
  const lineStart = before.lastIndexOf("\n", wordStart - 1) + 1;
  if (lineStart === 0 && windowStart > 0) return [];
  const found = declarationTokens(before, lineStart, wordStart, windowStart === 0);
  if (found === "none") return [];
  const atLineStart = before.slice(lineStart, wordStart).trim() === "";
  if (found === "no declaration") return declarationKeywords(analysis);
  return new Completion(analysis, found, atLineStart).items();
}

/**
 * Where the name being typed at the end of `text` starts (its length if
 * none): the longest suffix that is a name, found by one backward scan
 * (a regex anchored at the end retries from every position of a long run).
 */
function identifierSuffixStart(text: string): number {
  let start = text.length;
  while (start > 0 && /[A-Za-z0-9_]/.test(text[start - 1]!)) start--;
  while (start < text.length && /[0-9]/.test(text[start]!)) start++;
  return start;
}

/**
 * The tokens from the last declaration keyword before `end` to `end`. Lexing
 * starts at a line start, where no string or comment can be open, and moves
 * further back until the stretch holds a declaration keyword ("no
 * declaration" when the text before has none; "none" when the cursor is in
 * a comment or string, or the declaration starts before the window).
 */
function declarationTokens(before: string, lineStart: number, end: number, startsText: boolean): IToken[] | "no declaration" | "none" {
  // Offset 0 of the window is a line start only when the window starts the text.
  const firstLine = startsText ? 0 : before.indexOf("\n") + 1;
  let from = lineStart;
  for (let stretch = FIRST_STRETCH; ; stretch *= 2) {
    const lexed = lex(new LineIndex(before.slice(from, end)), "");
    if (from === lineStart && inCommentOrString(lexed, end - from)) return "none";
    const tokens = lexed.tokens;
    for (let k = tokens.length - 1; k >= 0; k--) {
      if (T.keywordOf(tokens[k]!.tokenType)?.declaration) return tokens.slice(k);
    }
    if (from <= firstLine) return startsText ? "no declaration" : "none";
    const target = from - stretch;
    from = target <= firstLine ? firstLine : before.lastIndexOf("\n", target) + 1;
  }
}

/** A comment, or an unclosed string, runs up to the cursor (`length`: where the lexed text ends). */
function inCommentOrString(lexed: LexResult, length: number): boolean {
  const last = lexed.tokens[lexed.tokens.length - 1];
  if (last?.tokenType === T.UnterminatedString && last.startOffset + last.image.length === length) return true;
  const comment = allComments(lexed).pop();
  return comment !== undefined && comment.startOffset + comment.image.length === length;
}

function keywordItem(type: TokenType): CompletionItem | undefined {
  const info = T.keywordOf(type);
  return info && { label: info.word, kind: CompletionItemKind.Keyword, detail: info.doc, sortText: `0${info.word}` };
}

/** Every declaration keyword, but a second `model`, `train` or `data`. */
function declarationKeywords(analysis: Analysis | undefined): CompletionItem[] {
  const present = new Set<string>(analysis?.checked.ast.decls.filter((d) => isSingleton(d.kind)).map((d) => d.kind));
  return T.DECLARATION_KEYWORDS.filter((t) => !present.has(T.keywordOf(t)!.word)).map((t) => keywordItem(t)!);
}

class Completion {
  /** The parse tree of the declaration's tokens, as far as they go. */
  private readonly decl: DeclNode | undefined;
  private readonly prev: IToken | undefined;

  constructor(
    private readonly analysis: Analysis | undefined,
    private readonly tokens: IToken[],
    private readonly atLineStart: boolean,
  ) {
    this.decl = parseDeclaration(tokens);
    this.prev = tokens[tokens.length - 1];
  }

  items(): CompletionItem[] {
    const out = new Map<string, CompletionItem>();
    const add = (items: CompletionItem[]) => {
      for (const item of items) if (!out.has(item.label)) out.set(item.label, item);
    };
    const declarations = new Set(declarationKeywords(this.analysis).map((i) => i.label));
    for (const path of nextTokens(shortened(this.tokens))) {
      const type = path.nextTokenType;
      const keyword = T.keywordOf(type);
      if (keyword) {
        if (keyword.declaration ? this.atLineStart && declarations.has(keyword.word) : !this.clauseGiven(type, path.ruleStack)) add([keywordItem(type)!]);
      } else if (type === T.Identifier || type === T.StringLiteral) {
        add(this.slot(path.ruleStack));
      }
    }
    return [...out.values()];
  }

  /** A task clause the declaration has already: the grammar allows a second, the checker does not. */
  private clauseGiven(type: TokenType, ruleStack: string[]): boolean {
    return ruleStack[ruleStack.length - 1] === "taskClause" && (this.decl?.clauses.some((c) => c.keyword?.tokenType === type) ?? false);
  }

  /**
   * What may fill the name (or string) slot at the end of `ruleStack`: the
   * rules are walked down together with the parse tree, which at each level
   * ends in the node being written, to the schema of the call or block the
   * cursor is in and the type of the value it expects.
   */
  private slot(ruleStack: string[]): CompletionItem[] {
    const decl = this.decl;
    if (!decl) return [];
    let ctors: Ctors | undefined = decl.kind in CTORS_BY_DECL ? CTORS_BY_DECL[decl.kind as keyof typeof CTORS_BY_DECL] : undefined;
    let schema = decl.kind === "block" && decl.keyword ? BLOCKS[decl.keyword.image] : undefined;
    let call: CallNode | undefined;
    let arg: ArgNode | undefined;
    let named: NamedValueNode | undefined;
    let value: ValueNode | undefined;
    let type: ValueType | undefined;
    const clause = last(decl.clauses);
    for (let k = 3; k < ruleStack.length; k++) {
      const rule = ruleStack[k]!;
      const parent = ruleStack[k - 1]!;
      const end = k === ruleStack.length - 1;
      switch (rule) {
        case "call":
          if (parent === "value") {
            if (end) return this.values(type);
            ctors = type?.t === "ctor" ? type.ctors : undefined;
            call = value?.call;
          } else {
            if (end) return ctors ? this.ctors(ctors) : [];
            call = decl.call;
          }
          schema = call?.callee ? ctors?.[call.callee.image] : undefined;
          break;
        case "arg":
          // Right after `(` or `,` the argument being written has no node yet; the last one parsed is an earlier one.
          arg = this.prev?.tokenType === T.Comma || this.prev?.tokenType === T.LParen ? undefined : call && last(call.args);
          break;
        case "namedValue": {
          const given = call ? call.args.map((a) => a.named?.name?.image) : decl.entries.map((e) => e.name?.image);
          if (end) return this.optionNames(schema, new Set(given));
          named = call ? arg?.named : last(decl.entries);
          type = named?.name ? schema?.options[named.name.image]?.type : undefined;
          break;
        }
        case "value":
          if (parent === "arg") {
            type = schema && call ? positionalType(schema, call, arg) : undefined;
            value = arg?.value;
            // The call takes no more positional arguments: only its options may come, and namedValue offers those.
            if (schema && type === undefined) return [];
          } else if (parent === "namedValue") {
            value = named?.value;
          } else if (parent === "list") {
            type = type?.t === "list" ? type.of : undefined;
            value = value?.list && last(value.list.items);
          } else if (parent === "taskClause") {
            type = clause?.keyword?.tokenType === T.Debias ? { t: "ctor", ctors: DEBIAS_CTORS, what: "debias method" } : { t: "ctor", ctors: this.losses(), what: "loss" };
            value = clause?.loss;
          } else {
            type = undefined; // the values after `is`: any value of the column
          }
          if (end) return this.values(type);
          break;
        case "column":
          return clause?.keyword?.tokenType === T.Where ? this.whereColumns() : this.dataColumns(this.ownLabel());
        default:
          break;
      }
    }
    // `after TASK`: the name is the clause's own token, no rule of its own.
    if (ruleStack[ruleStack.length - 1] === "taskClause" && clause?.keyword?.tokenType === T.After) return this.names(["task"], false);
    return ruleStack.length === 3 ? this.declarationSlot(decl) : [];
  }

  /** A name right in a declaration: a task's type or factors, a gate's expert groups; nothing where a name is declared. */
  private declarationSlot(decl: DeclNode): CompletionItem[] {
    if (decl.kind === "gate" && decl.overKeyword) {
      const listed = new Set(decl.over.map((t) => t.image));
      return this.names(["expert"], false).filter((i) => !listed.has(i.label));
    }
    if (decl.kind !== "task" || !decl.name) return [];
    if (!decl.equals) return TASK_TYPES.map((t) => ({ label: t, kind: CompletionItemKind.EnumMember, detail: t === "binary" ? "a probability (bce)" : "a real value (mse or huber)" }));
    if (this.prev?.tokenType === T.Star) return this.names(["task"], false);
    return [...this.names(VALUE_KINDS, true), ...this.names(["task"], false)];
  }

  /** The losses the task's type allows. */
  private losses(): Ctors {
    const type = this.decl?.type?.image;
    const allowed = type && LOSSES_BY_TYPE[type] ? LOSSES_BY_TYPE[type]! : Object.keys(LOSS_CTORS);
    const losses: Ctors = LOSS_CTORS;
    return Object.fromEntries(allowed.map((k) => [k, losses[k]!]));
  }

  private optionNames(schema: CtorSchema | undefined, given: Set<string | undefined>): CompletionItem[] {
    if (!schema) return [];
    return Object.entries(schema.options)
      .filter(([name]) => !given.has(name))
      .map(([name, option]) => ({
        label: name,
        kind: CompletionItemKind.Property,
        detail: typeText(option.type) + (option.required ? " (required)" : ""),
        documentation: { kind: "markdown", value: option.doc },
        insertText: `${name}: `,
        sortText: `1${name}`,
      }));
  }

  /** The task's own label column, written as a name. */
  private ownLabel(): string | undefined {
    const label = this.decl?.clauses.find((c) => c.keyword?.tokenType === T.Label);
    return T.isNameToken(label?.column) ? label!.column!.image : undefined;
  }

  /** `where` takes any 0/1 column: the labels of the other binary tasks, and the columns the data block lists. */
  private whereColumns(): CompletionItem[] {
    const self = this.decl?.name?.image;
    const items: CompletionItem[] = [];
    const seen = new Set<string>();
    for (const sym of this.analysis?.checked.symbols.values() ?? []) {
      if (sym.kind !== "task" || sym.type !== "binary" || !sym.decl.label || sym.name === self) continue;
      const column = sym.decl.label.column.text;
      if (!seen.has(column)) items.push(columnItem(column, `the label of the binary task ${sym.name}`));
      seen.add(column);
    }
    const own = this.ownLabel();
    return [...items, ...this.dataColumns(own).filter((i) => !seen.has(i.label))];
  }

  /** The columns the data block lists, if it does. */
  private dataColumns(leaveOut: string | undefined): CompletionItem[] {
    const columns = this.analysis ? draft(this.analysis.checked.data).columns : undefined;
    return (columns ?? []).filter((c) => c.text !== leaveOut).map((c) => columnItem(c.text, "a column of the data"));
  }

  private ctors(ctors: Ctors): CompletionItem[] {
    return Object.entries(ctors).map(([name, schema]) => ({
      label: name,
      kind: CompletionItemKind.Constructor,
      detail: schema.usage,
      documentation: { kind: "markdown", value: schema.doc },
    }));
  }

  private values(type: ValueType | undefined): CompletionItem[] {
    switch (type?.t) {
      case "enum":
        return type.values.map((v) => ({ label: v, kind: CompletionItemKind.EnumMember }));
      case "bool":
        return ["true", "false"].map((v) => ({ label: v, kind: CompletionItemKind.Value }));
      case "ref":
        return [...(type.star ? [{ label: "*", kind: CompletionItemKind.Operator, detail: "every feature" }] : []), ...this.names(type.kinds, true, type.groups === true)];
      case "ctor":
        return this.ctors(type.ctors);
      default:
        return [];
    }
  }

  /**
   * Declared names of the given kinds; `single` leaves out expert groups and
   * feature groups (unless `featureGroups`), which have no single output.
   * Members of feature groups are left out: there may be a thousand of them.
   */
  private names(kinds: readonly RefKind[], single: boolean, featureGroups = false): CompletionItem[] {
    const self = this.decl?.name?.image;
    const out: CompletionItem[] = [];
    for (const sym of this.analysis?.checked.symbols.values() ?? []) {
      if (!kinds.includes(sym.kind) || sym.name === self) continue;
      if (single && sym.kind === "expert" && sym.count > 1) continue;
      if (sym.kind === "feature" && (sym.group || (single && !featureGroups && sym.members))) continue;
      out.push({ label: sym.name, kind: SYM_KINDS[sym.kind], detail: symDetail(sym), ...(sym.decl.doc && { documentation: sym.decl.doc }), sortText: `2${sym.name}` });
    }
    return out;
  }
}

/**
 * The tokens with what content assist need not see: the inside of closed
 * brackets, and the finished items of an open list or call. Content assist
 * follows every grammar path through every token (seconds for a list of
 * thousands), and the grammar allows the same after `[]` as after `[a, b]`,
 * and the same items after `[` as after `[a, b,`. Brackets around a single
 * token keep it: a group's count (`e[8]`) is the one bracket that may not be
 * empty. The parse tree, which says what was written, is built from all of them.
 */
function shortened(tokens: IToken[]): IToken[] {
  const out: IToken[] = [];
  const open: number[] = [];
  for (const token of tokens) {
    const type = token.tokenType;
    if (T.OPENING.has(type)) {
      open.push(out.length);
    } else if (T.CLOSING.has(type)) {
      const at = open.pop();
      if (at !== undefined && out.length > at + 2) out.length = at + 1;
    } else if (type === T.Comma && open.length > 0 && out[open[open.length - 1]!]!.tokenType !== T.LCurly) {
      out.length = open[open.length - 1]! + 1;
      continue;
    }
    out.push(token);
  }
  return out;
}

/** The type of the positional argument being written: the arguments before it count, a variadic one takes the rest. */
function positionalType(schema: CtorSchema, call: CallNode, current: ArgNode | undefined): ValueType | undefined {
  const index = call.args.filter((a) => a !== current && a.value !== undefined).length;
  return schema.positional.find((p, i) => i === index || (p.variadic && i <= index))?.type;
}

function columnItem(column: string, detail: string): CompletionItem {
  const text = columnText(column);
  return { label: column, kind: CompletionItemKind.Value, detail, ...(text !== column && { insertText: text }) };
}

function symDetail(sym: Sym): string {
  const w = sym.width !== undefined ? `, width ${sym.width}` : "";
  if (sym.kind === "expert" && sym.count > 1) return `expert group of ${sym.count}${w}`;
  if (sym.kind === "feature" && sym.members) return `feature group of ${sym.members.length} (${memberRange(sym.name, sym.members.length)})${w && `${w} each`}`;
  if (sym.kind === "task") return `${sym.type ?? ""} task`.trim();
  return `${sym.kind}${w}`;
}

function last<N>(list: readonly N[]): N | undefined {
  return list[list.length - 1];
}

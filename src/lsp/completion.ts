import type { IToken, TokenType } from "chevrotain";
import { CompletionItemKind, type CompletionItem } from "vscode-languageserver/node.js";
import { lex } from "../syntax/lexer.js";
import { LineIndex } from "../syntax/range.js";
import * as T from "../syntax/tokens.js";
import { CTORS_BY_DECL, DATA_BLOCK, LOSS_CTORS, LOSSES_BY_TYPE, TASK_TYPES, TRAIN_BLOCK, VALUE_KINDS, type CtorSchema, type RefKind, type ValueType } from "../validation/schema.js";
import { memberRange, type Sym } from "../validation/symbols.js";
import type { Analysis } from "./analysis.js";
import { typeText } from "./hover.js";

/**
 * Completion from the tokens of the current declaration up to the cursor: a
 * small state machine over brackets, `name:` pairs and clause keywords
 * decides what may come next; names and types come from the last analysis.
 */

type DeclKind = "model" | "feature" | "input" | "expert" | "gate" | "tower" | "task" | "train" | "data";

const DECL_KEYWORD: ReadonlyMap<TokenType, DeclKind> = new Map([
  [T.Model, "model"],
  [T.Feature, "feature"],
  [T.Input, "input"],
  [T.Expert, "expert"],
  [T.Gate, "gate"],
  [T.Tower, "tower"],
  [T.Task, "task"],
  [T.Train, "train"],
  [T.Data, "data"],
]);

const DECL_DOCS: Record<DeclKind, string> = {
  model: 'model NAME "description": exactly one per file.',
  feature: "feature NAME : categorical(...) | numeric(...) | sequence(...): a data column and its encoding.",
  input: "input NAME = concat(a, b, ...): side-by-side concatenation; concat(*) is every feature.",
  expert: "expert NAME[N]? = mlp(IN, [units...], options): a network, or a group of N for a gate to mix.",
  gate: "gate NAME = softmax(IN) over G1, G2, ...: a softmax mixture of expert groups.",
  tower: "tower NAME = mlp(IN, [units...], options): a task's own network.",
  task: "task NAME : binary|regression = NODE (or T1 * T2) clauses: a prediction head.",
  train: "train { key: value ... }: training settings.",
  data: "data { key: value ... }: how data files are laid out.",
};

const CLAUSES: Record<string, string> = {
  label: "label COLUMN (is \"A\" | \"B\"): the column holding the label; without 'is', 0/1 or true/false.",
  where: "where COLUMN (is \"V\"): train and evaluate only rows where this 0/1 column of the data is 1 (or one of the values).",
  weight: "weight NUMBER: the task's loss weight (default 1).",
  loss: "loss bce | mse | huber(delta: D).",
};

const SYM_KINDS: Record<RefKind, CompletionItemKind> = {
  feature: CompletionItemKind.Field,
  input: CompletionItemKind.Variable,
  expert: CompletionItemKind.Class,
  gate: CompletionItemKind.Operator,
  tower: CompletionItemKind.Struct,
  task: CompletionItemKind.Function,
};

interface Frame {
  open: "(" | "[" | "{";
  schema?: CtorSchema;
  /** Option names written at this level. */
  given: Set<string>;
  /** Positional arguments finished at this level. */
  positional: number;
  /** The current argument has a `name:`. */
  named: boolean;
}

/**
 * Completion reads at most this many characters before the cursor, so it
 * answers in bounded time on any document. A declaration that starts
 * further back (or a line longer than this) gets no completions.
 */
const COMPLETION_WINDOW = 64 * 1024;

export function complete(text: string, offset: number, analysis: Analysis | undefined): CompletionItem[] {
  const windowStart = Math.max(0, offset - COMPLETION_WINDOW);
  const before = text.slice(windowStart, offset);
  const wordStart = identifierSuffixStart(before);
  const lineBreak = before.lastIndexOf("\n");
  if (lineBreak < 0 && windowStart > 0) return [];
  const lineStart = lineBreak + 1;
  const line = before.slice(lineStart, wordStart);
  if (inCommentOrString(line)) return [];
  const start = declarationStart(before, lineStart, windowStart === 0);
  if (start === undefined) return windowStart > 0 ? [] : declarationKeywords(analysis);
  const tokens = lex(new LineIndex(before.slice(start, wordStart)), "").tokens;
  const atLineStart = line.trim() === "";

  const first = tokens[0];
  const declKind = first && DECL_KEYWORD.get(first.tokenType);
  if (!declKind) return declarationKeywords(analysis);
  const ctx = new Context(analysis, declKind, tokens[1]?.image);
  const items = ctx.run(tokens.slice(1));
  if (atLineStart && ctx.depth === 0 && ctx.complete) items.push(...declarationKeywords(analysis));
  return items;
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

/** A `#` outside strings, or an unclosed string, on the line before the cursor. */
function inCommentOrString(line: string): boolean {
  const stripped = line.replace(/"(?:[^"\\]|\\.)*"/g, "");
  return stripped.includes("#") || stripped.includes('"');
}

const DECL_LINE = /^[ \t]*(model|feature|input|expert|gate|tower|task|train|data)\b/;

/**
 * The start of the line where the declaration holding the cursor begins, if
 * `before` holds it; offset 0 is a line start only when `before` starts the text.
 */
function declarationStart(before: string, lineStart: number, startsText: boolean): number | undefined {
  let at = lineStart;
  for (;;) {
    if ((at > 0 || startsText) && DECL_LINE.test(before.slice(at, at + 40))) return at;
    if (at === 0) return undefined;
    // The previous line starts after the line break before this line's own (at 1, that line is the empty one at 0).
    at = at === 1 ? 0 : before.lastIndexOf("\n", at - 2) + 1;
  }
}

function declarationKeywords(analysis: Analysis | undefined): CompletionItem[] {
  const present = new Set(analysis?.checked.ast.decls.map((d) => d.kind) ?? []);
  return (Object.keys(DECL_DOCS) as DeclKind[])
    .filter((k) => !((k === "model" || k === "train" || k === "data") && present.has(k)))
    .map((k) => ({ label: k, kind: CompletionItemKind.Keyword, detail: DECL_DOCS[k] }));
}

class Context {
  readonly stack: Frame[] = [];
  /** The declaration reads as complete at depth 0: a new one may start. */
  complete = false;

  constructor(
    readonly analysis: Analysis | undefined,
    readonly kind: DeclKind,
    readonly self: string | undefined,
  ) {}

  get depth(): number {
    return this.stack.length;
  }

  run(tokens: IToken[]): CompletionItem[] {
    const depth0: IToken[] = [];
    const clauses = new Set<string>();
    for (let i = 0; i < tokens.length; i++) {
      const tok = tokens[i]!;
      const type = tok.tokenType;
      const top = this.stack[this.stack.length - 1];
      if (!top) depth0.push(tok);
      if (type === T.LParen) {
        const callee = tokens[i - 1];
        this.stack.push({ open: "(", given: new Set(), positional: 0, named: false, ...this.schemaFor(top, callee, tokens[i - 2]) });
      } else if (type === T.LBracket) {
        this.stack.push({ open: "[", given: new Set(), positional: 0, named: false });
      } else if (type === T.LCurly) {
        const schema = this.kind === "train" ? TRAIN_BLOCK : this.kind === "data" ? DATA_BLOCK : undefined;
        this.stack.push({ open: "{", given: new Set(), positional: 0, named: false, ...(schema && { schema }) });
      } else if (type === T.RParen || type === T.RBracket || type === T.RCurly) {
        this.stack.pop();
        if (top && this.stack.length === 0) depth0.push(tok);
      } else if (top) {
        if (type === T.Colon && tokens[i - 1] && isName(tokens[i - 1]!)) {
          top.given.add(tokens[i - 1]!.image);
          top.named = true;
        } else if (type === T.Comma) {
          if (!top.named) top.positional++;
          top.named = false;
        }
      } else {
        if (this.kind === "task" && [T.Label, T.Where, T.Weight, T.Loss].includes(type) && afterFactors(depth0)) clauses.add(tok.image);
      }
    }
    const prev = tokens[tokens.length - 1];
    const prev2 = tokens[tokens.length - 2];
    const top = this.stack[this.stack.length - 1];
    if (top) return this.inFrame(top, prev, prev2);
    return this.atDepth0(depth0, clauses);
  }

  private schemaFor(parent: Frame | undefined, callee: IToken | undefined, beforeCallee: IToken | undefined): { schema?: CtorSchema } {
    if (!callee || !isName(callee)) return {};
    const name = callee.image;
    let ctors: Readonly<Record<string, CtorSchema>> | undefined;
    if (!parent) {
      if (this.kind === "task") ctors = beforeCallee?.tokenType === T.Loss ? LOSS_CTORS : undefined;
      else if (this.kind in CTORS_BY_DECL) ctors = CTORS_BY_DECL[this.kind as keyof typeof CTORS_BY_DECL];
    } else if (parent.schema && beforeCallee?.tokenType === T.Colon) {
      const key = this.lastKey(parent);
      const type = key && parent.schema.options[key]?.type;
      if (type && type.t === "ctor") ctors = type.ctors;
    }
    const schema = ctors?.[name];
    return schema ? { schema } : {};
  }

  /** The option most recently named in a frame (the one whose value is being written). */
  private lastKey(frame: Frame): string | undefined {
    return [...frame.given].pop();
  }

  private inFrame(top: Frame, prev: IToken | undefined, prev2: IToken | undefined): CompletionItem[] {
    if (top.open === "[" || !top.schema) return [];
    const schema = top.schema;
    if (prev?.tokenType === T.Colon && prev2 && isName(prev2)) {
      const option = schema.options[prev2.image];
      return option ? this.values(option.type) : [];
    }
    const argStart = prev?.tokenType === T.LParen || prev?.tokenType === T.LCurly || prev?.tokenType === T.Comma;
    // Block entries are separated by blanks too: after a finished `key: value`.
    if (!argStart && !(top.open === "{" && prev && prev.tokenType !== T.Colon)) return [];
    const items: CompletionItem[] = [];
    const positional = schema.positional.find((p, i) => i === top.positional || (p.variadic && i <= top.positional));
    if (positional && top.open === "(" && !top.named) items.push(...this.values(positional.type));
    for (const [name, option] of Object.entries(schema.options)) {
      if (top.given.has(name)) continue;
      items.push({
        label: name,
        kind: CompletionItemKind.Property,
        detail: typeText(option.type) + (option.required ? " (required)" : ""),
        documentation: { kind: "markdown", value: option.doc },
        insertText: `${name}: `,
        sortText: `1${name}`,
      });
    }
    return items;
  }

  private atDepth0(tokens: IToken[], clauses: Set<string>): CompletionItem[] {
    const prev = tokens[tokens.length - 1];
    const prev2 = tokens[tokens.length - 2];
    const p = prev?.tokenType;
    switch (this.kind) {
      case "feature":
        if (p === T.Colon) return this.ctors(CTORS_BY_DECL.feature);
        this.complete = p === T.RParen;
        return [];
      case "input":
      case "expert":
      case "tower":
        if (p === T.Equals) return this.ctors(CTORS_BY_DECL[this.kind]);
        this.complete = p === T.RParen;
        return [];
      case "gate": {
        if (p === T.Equals) return this.ctors(CTORS_BY_DECL.gate);
        const overAt = tokens.findIndex((t) => t.tokenType === T.Over && tokens.indexOf(t) > 0 && tokens[tokens.indexOf(t) - 1]!.tokenType === T.RParen);
        if (overAt >= 0 && (p === T.Over || p === T.Comma)) {
          const listed = new Set(tokens.slice(overAt + 1).filter(isName).map((t) => t.image));
          return this.names(["expert"], false).filter((i) => !listed.has(i.label));
        }
        if (p === T.RParen && overAt < 0) return [{ label: "over", kind: CompletionItemKind.Keyword, detail: "over G1, G2, ...: the expert groups this gate mixes" }];
        this.complete = overAt >= 0 && p !== undefined && isName(prev!);
        return [];
      }
      case "task":
        return this.inTask(tokens, clauses, prev, prev2);
      case "model":
        this.complete = p === T.StringLiteral || (tokens.length === 1 && p !== undefined);
        return [];
      default:
        this.complete = p === T.RCurly;
        return [];
    }
  }

  private inTask(tokens: IToken[], clauses: Set<string>, prev: IToken | undefined, prev2: IToken | undefined): CompletionItem[] {
    const p = prev?.tokenType;
    const equalsAt = tokens.findIndex((t) => t.tokenType === T.Equals);
    if (equalsAt < 0) {
      if (p === T.Colon) return TASK_TYPES.map((t) => ({ label: t, kind: CompletionItemKind.EnumMember, detail: t === "binary" ? "a probability (bce)" : "a real value (mse or huber)" }));
      return [];
    }
    if (p === T.Equals) return [...this.names(VALUE_KINDS, true), ...this.names(["task"], false)];
    if (p === T.Star) return this.names(["task"], false);
    if (p === T.Loss) {
      const type = tokens[equalsAt - 1]?.image;
      const allowed = type && LOSSES_BY_TYPE[type] ? LOSSES_BY_TYPE[type]! : Object.keys(LOSS_CTORS);
      const losses: Readonly<Record<string, CtorSchema>> = LOSS_CTORS;
      return this.ctors(Object.fromEntries(allowed.map((k) => [k, losses[k]!])));
    }
    if (p === T.Where) return this.binaryLabels();
    if (p === T.Label || p === T.Is || p === T.Weight) return [];
    if (prev2?.tokenType === T.Label && p !== undefined && isName(prev!)) {
      // `label click |`: `is` may follow.
      this.complete = true;
      return [{ label: "is", kind: CompletionItemKind.Keyword, detail: 'label COLUMN is "VALUE": the value that means 1' }, ...this.clauseKeywords(clauses)];
    }
    if (tokens.length > equalsAt + 1) {
      this.complete = true;
      return this.clauseKeywords(clauses);
    }
    return [];
  }

  private clauseKeywords(given: Set<string>): CompletionItem[] {
    return Object.entries(CLAUSES)
      .filter(([k]) => !given.has(k))
      .map(([k, doc]) => ({ label: k, kind: CompletionItemKind.Keyword, detail: doc, sortText: `0${k}` }));
  }

  private binaryLabels(): CompletionItem[] {
    const seen = new Set<string>();
    for (const sym of this.analysis?.checked.symbols.values() ?? []) {
      if (sym.kind === "task" && sym.type === "binary" && sym.decl.label && sym.name !== this.self) seen.add(sym.decl.label.column.text);
    }
    return [...seen].map((c) => ({ label: c, kind: CompletionItemKind.Value, detail: "a binary label column" }));
  }

  private ctors(ctors: Readonly<Record<string, CtorSchema>>): CompletionItem[] {
    return Object.entries(ctors).map(([name, schema]) => ({
      label: name,
      kind: CompletionItemKind.Constructor,
      detail: schema.usage,
      documentation: { kind: "markdown", value: schema.doc },
    }));
  }

  private values(type: ValueType): CompletionItem[] {
    switch (type.t) {
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
    const out: CompletionItem[] = [];
    for (const sym of this.analysis?.checked.symbols.values() ?? []) {
      if (!kinds.includes(sym.kind) || sym.name === this.self) continue;
      if (single && sym.kind === "expert" && sym.count > 1) continue;
      if (sym.kind === "feature" && (sym.group || (single && !featureGroups && sym.members))) continue;
      out.push({ label: sym.name, kind: SYM_KINDS[sym.kind], detail: symDetail(sym), ...(sym.decl.doc && { documentation: sym.decl.doc }), sortText: `2${sym.name}` });
    }
    return out;
  }
}

function symDetail(sym: Sym): string {
  const w = sym.width !== undefined ? `, width ${sym.width}` : "";
  if (sym.kind === "expert" && sym.count > 1) return `expert group of ${sym.count}${w}`;
  if (sym.kind === "feature" && sym.members) return `feature group of ${sym.members.length} (${memberRange(sym.name, sym.members.length)})${w && `${w} each`}`;
  if (sym.kind === "task") return `${sym.type ?? ""} task`.trim();
  return `${sym.kind}${w}`;
}

function isName(tok: IToken): boolean {
  return tok.tokenType === T.Identifier || (tok.tokenType.CATEGORIES?.includes(T.Identifier) ?? false);
}

/** A clause keyword counts once the factors (`= NODE` or `= A * B`) are written. */
function afterFactors(depth0: IToken[]): boolean {
  const equalsAt = depth0.findIndex((t) => t.tokenType === T.Equals);
  return equalsAt >= 0 && depth0.length - 1 > equalsAt + 1;
}

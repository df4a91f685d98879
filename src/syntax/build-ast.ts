import type { CstElement, CstNode, IToken } from "chevrotain";
import type * as A from "./ast.js";
import { parseNumber } from "./lexer.js";
import { span, type LineIndex } from "./range.js";
import { NumberLiteral, Star, StringLiteral, UnterminatedString } from "./tokens.js";

/**
 * CST → typed AST. Recovery can leave any child missing, so every accessor
 * tolerates absence and a declaration without its name is dropped (its syntax
 * error has been reported already).
 */
/**
 * The file being built. Set for the duration of one synchronous buildAst
 * call, so the helpers below can turn offsets into positions.
 */
let lines: LineIndex;

function tokenRange(tok: IToken): A.Range {
  return lines.tokenRange(tok);
}

export function buildAst(cst: CstNode, docs: IToken[], lineIndex: LineIndex, file: string): A.SpecFile {
  lines = lineIndex;
  const text = lineIndex.text;
  const decls: A.Decl[] = [];
  for (const declNode of nodes(cst, "decl")) {
    const inner = firstNode(declNode);
    const decl = inner && buildDecl(inner);
    if (decl) decls.push(decl);
  }
  const strayDocs = attachDocs(decls, docs, text);
  return { file, decls, strayDocs, range: { start: { line: 1, column: 1, offset: 0 }, end: lineIndex.end() } };
}

function buildDecl(node: CstNode): A.Decl | undefined {
  const keywordToken = firstToken(node);
  if (!keywordToken) return undefined;
  const keyword = tokenRange(keywordToken);
  const range = nodeRange(node) ?? keyword;
  if (node.name === "block") {
    const kind = token(node, "kind")?.image === "data" ? "data" : "train";
    return { kind, entries: nodes(node, "namedValue").map(namedValue).filter(isDefined), range, keyword };
  }
  const name = nameOf(token(node, "name"));
  if (!name) return undefined;
  // Plain literals with every property present: objects built by spreading
  // optional parts get different shapes per declaration, which makes every
  // later read of the AST slow on large specs.
  const call = firstNodeOf(node, "call");
  const expr = call ? buildCall(call) : undefined;
  switch (node.name) {
    case "modelDecl": {
      const description = token(node, "description");
      return { kind: "model", name, range, keyword, description: description ? stringValue(description) : undefined };
    }
    case "featureDecl":
      return { kind: "feature", name, range, keyword, ctor: expr };
    case "inputDecl":
      return { kind: "input", name, range, keyword, expr };
    case "towerDecl":
      return { kind: "tower", name, range, keyword, expr };
    case "expertDecl": {
      const count = token(node, "count");
      return { kind: "expert", name, range, keyword, expr, count: count ? numberValue(count) : undefined };
    }
    case "gateDecl":
      return { kind: "gate", name, range, keyword, expr, over: tokens(node, "over").map(nameOf).filter(isDefined) };
    case "taskDecl":
      return buildTask(node, name, range, keyword);
    default:
      return undefined;
  }
}

function buildTask(node: CstNode, name: A.Name, range: A.Range, keyword: A.Range): A.TaskDecl {
  const task: A.TaskDecl = {
    kind: "task",
    name,
    range,
    keyword,
    type: nameOf(token(node, "type")),
    factors: tokens(node, "factor").map(nameOf).filter(isDefined),
    label: undefined,
    where: undefined,
    weight: undefined,
    loss: undefined,
    repeatedClauses: [],
  };
  for (const clause of nodes(node, "taskClause")) {
    const range = nodeRange(clause);
    const first = firstToken(clause)?.image;
    const seen = (present: unknown) => present !== undefined && range && first && task.repeatedClauses.push({ clause: first, range });
    if (first === "label") {
      const column = columnName(firstNodeOf(clause, "column"));
      if (!column || !range) continue;
      seen(task.label);
      const positive = firstNodeOf(clause, "positive");
      task.label = { column, range, ...(positive && { positive: buildValue(positive) }) };
    } else if (first === "where") {
      const where = columnName(firstNodeOf(clause, "where"));
      if (!where) continue;
      seen(task.where);
      task.where = where;
    } else if (first === "weight") {
      const weight = token(clause, "weight");
      if (!weight) continue;
      seen(task.weight);
      task.weight = numberValue(weight);
    } else if (first === "loss") {
      const loss = firstNodeOf(clause, "loss");
      if (!loss) continue;
      seen(task.loss);
      task.loss = buildValue(loss);
    }
  }
  return task;
}

function buildCall(node: CstNode): A.CallValue {
  const callee = nameOf(token(node, "callee")) ?? missingName(node);
  const positional: A.Value[] = [];
  const options: A.OptionEntry[] = [];
  for (const arg of nodes(node, "arg")) {
    const named = firstNodeOf(arg, "namedValue");
    if (named) {
      const entry = namedValue(named);
      if (entry) options.push(entry);
      continue;
    }
    const value = firstNodeOf(arg, "value");
    if (value) positional.push(buildValue(value));
  }
  return { kind: "call", callee, positional, options, range: nodeRange(node) ?? callee.range };
}

function namedValue(node: CstNode): A.OptionEntry | undefined {
  const name = nameOf(token(node, "name"));
  const valueNode = firstNodeOf(node, "value");
  if (!name || !valueNode) return undefined;
  const value = buildValue(valueNode);
  return { name, value, range: span(name.range, value.range) };
}

function buildValue(node: CstNode): A.Value {
  const call = firstNodeOf(node, "call");
  if (call) return buildCall(call);
  const list = firstNodeOf(node, "list");
  if (list) {
    const items = nodes(list, "value").map(buildValue);
    return { kind: "list", items, range: nodeRange(list)! };
  }
  const tok = firstToken(node);
  if (!tok) return { kind: "list", items: [], range: nodeRange(node) ?? emptyRange() };
  if (tok.tokenType === NumberLiteral) return numberValue(tok);
  if (tok.tokenType === StringLiteral || tok.tokenType === UnterminatedString) return stringValue(tok);
  if (tok.tokenType === Star) return { kind: "star", range: tokenRange(tok) };
  const name = nameOf(tok)!;
  return { kind: "name", name, range: name.range };
}

function numberValue(tok: IToken): A.NumberValue {
  return { kind: "number", value: parseNumber(tok.image), text: tok.image, range: tokenRange(tok) };
}

function stringValue(tok: IToken): A.StringValue {
  const body = tok.tokenType === UnterminatedString ? tok.image.slice(1) : tok.image.slice(1, -1);
  const value = body.replace(/\\(.)/g, (_, c: string) => ({ n: "\n", t: "\t", r: "\r" })[c] ?? c);
  return { kind: "string", value, range: tokenRange(tok) };
}

function nameOf(tok: IToken | undefined): A.Name | undefined {
  return tok ? { text: tok.image, range: tokenRange(tok) } : undefined;
}

/** A column written as a string names the column by its unescaped text. */
function columnName(node: CstNode | undefined): A.Name | undefined {
  const tok = node && firstToken(node);
  if (!tok) return undefined;
  if (tok.tokenType === StringLiteral || tok.tokenType === UnterminatedString) {
    const value = stringValue(tok);
    return { text: value.value, range: value.range };
  }
  return nameOf(tok);
}

function missingName(node: CstNode): A.Name {
  return { text: "", range: nodeRange(node) ?? emptyRange() };
}

/** Doc comments on the lines right above a declaration belong to it. */
function attachDocs(decls: A.Decl[], docs: IToken[], text: string): A.DocComment[] {
  const groups: { lines: IToken[]; nextLine: number }[] = [];
  for (const doc of docs) {
    if (!startsLine(doc, text)) continue;
    const line = lines.position(doc.startOffset).line;
    const last = groups[groups.length - 1];
    if (last && last.nextLine === line) {
      last.lines.push(doc);
      last.nextLine++;
    } else {
      groups.push({ lines: [doc], nextLine: line + 1 });
    }
  }
  const byNextLine = new Map(groups.map((g) => [g.nextLine, g]));
  const attached = new Set<object>();
  for (const decl of decls) {
    const group = byNextLine.get(decl.range.start.line);
    // Only the first declaration on the line below gets the doc.
    if (!group || attached.has(group)) continue;
    decl.doc = group.lines.map((t) => t.image.replace(/^##\s?/, "").trimEnd()).join("\n");
    attached.add(group);
  }
  return groups
    .filter((g) => !attached.has(g))
    .map((g) => ({ text: g.lines.map((t) => t.image).join("\n"), range: span(tokenRange(g.lines[0]!), tokenRange(g.lines[g.lines.length - 1]!)) }));
}

function startsLine(tok: IToken, text: string): boolean {
  for (let i = tok.startOffset - 1; i >= 0; i--) {
    const c = text[i];
    if (c === "\n" || c === "\r") return true;
    if (c !== " " && c !== "\t") return false;
  }
  return true;
}

// ── CST access that tolerates recovery ────────────────────────────────────

function usable(tok: IToken): boolean {
  return !tok.isInsertedInRecovery && Number.isFinite(tok.startOffset);
}

function token(node: CstNode, key: string): IToken | undefined {
  return tokens(node, key)[0];
}

function tokens(node: CstNode, key: string): IToken[] {
  return ((node.children[key] ?? []) as IToken[]).filter((t) => "image" in t && usable(t));
}

function nodes(node: CstNode, key: string): CstNode[] {
  return ((node.children[key] ?? []) as CstElement[]).filter((c): c is CstNode => "children" in c);
}

function firstNodeOf(node: CstNode, key: string): CstNode | undefined {
  return nodes(node, key)[0];
}

function firstNode(node: CstNode): CstNode | undefined {
  for (const children of Object.values(node.children)) {
    for (const child of children) if ("children" in child) return child;
  }
  return undefined;
}

/**
 * The earliest real token among `node`'s own children. Every rule that asks
 * starts with a token of its own (a keyword, a name, a literal), so there is
 * no need to descend.
 */
function firstToken(node: CstNode): IToken | undefined {
  let best: IToken | undefined;
  for (const children of Object.values(node.children)) {
    for (const child of children) {
      if ("children" in child || !usable(child)) continue;
      if (!best || child.startOffset < best.startOffset) best = child;
    }
  }
  return best;
}

function nodeRange(node: CstNode): A.Range | undefined {
  const loc = node.location;
  if (!loc || !Number.isFinite(loc.startOffset) || !Number.isFinite(loc.endOffset ?? NaN)) return undefined;
  return lines.range(loc.startOffset, (loc.endOffset ?? loc.startOffset) + 1);
}

function emptyRange(): A.Range {
  const p = { line: 1, column: 1, offset: 0 };
  return { start: p, end: p };
}

function isDefined<T>(value: T | undefined): value is T {
  return value !== undefined;
}

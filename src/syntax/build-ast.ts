import type { IToken } from "./chevrotain.js";
import type * as A from "./ast.js";
import { parseNumber } from "./lexer.js";
import type { CallNode, DeclNode, Extent, NamedValueNode, ValueNode } from "./parse-tree.js";
import { span, type LineIndex } from "./range.js";
import { After, Calibrate, Data, Debias, Label, Loss, NumberLiteral, Star, SampleWeight, StringLiteral, UnterminatedString, Weight, Where } from "./tokens.js";

/**
 * Parse tree → typed AST. Recovery can leave any part missing, so every step
 * tolerates absence and a declaration without its name is dropped (its syntax
 * error has been reported already).
 */
/**
 * The file being built. Set by each synchronous call below, so the helpers
 * can turn offsets into positions.
 */
let lines: LineIndex;

function tokenRange(tok: IToken): A.Range {
  return lines.tokenRange(tok);
}

/** One declaration, built as soon as the parser is done with it; undefined when it has no name. */
export function buildDecl(node: DeclNode, lineIndex: LineIndex): A.Decl | undefined {
  lines = lineIndex;
  return declaration(node);
}

/** The file, once its declarations are built: attaches doc comments to them. */
export function buildSpec(decls: A.Decl[], docs: IToken[], lineIndex: LineIndex, file: string): A.SpecFile {
  lines = lineIndex;
  const strayDocs = attachDocs(decls, docs, lineIndex.text);
  return { file, decls, strayDocs, range: { start: { line: 1, column: 1, offset: 0 }, end: lineIndex.end() } };
}

function declaration(node: DeclNode): A.Decl | undefined {
  if (!node.keyword) return undefined;
  const keyword = tokenRange(node.keyword);
  const range = nodeRange(node) ?? keyword;
  if (node.kind === "block") {
    const kind = node.keyword.tokenType === Data ? "data" : "train";
    const entries: A.OptionEntry[] = [];
    for (const entry of node.entries) {
      const built = namedValue(entry);
      if (built) entries.push(built);
    }
    return { kind, entries, range, keyword };
  }
  const name = nameOf(node.name);
  if (!name) return undefined;
  // Plain literals with every property present: objects built by spreading
  // optional parts get different shapes per declaration, which makes every
  // later read of the AST slow on large specs.
  const expr = node.call ? buildCall(node.call) : undefined;
  switch (node.kind) {
    case "model":
      return { kind: "model", name, range, keyword, description: node.description ? stringValue(node.description) : undefined };
    case "feature":
      return { kind: "feature", name, range, keyword, ctor: expr, count: node.count ? numberValue(node.count) : undefined };
    case "input":
      return { kind: "input", name, range, keyword, expr };
    case "tower":
      return { kind: "tower", name, range, keyword, expr };
    case "expert":
      return { kind: "expert", name, range, keyword, expr, count: node.count ? numberValue(node.count) : undefined };
    case "gate":
      return { kind: "gate", name, range, keyword, expr, over: node.over.map((t) => nameOf(t)) };
    case "task":
      return buildTask(node, name, range, keyword);
    default:
      return undefined;
  }
}

function buildTask(node: DeclNode, name: A.Name, range: A.Range, keyword: A.Range): A.TaskDecl {
  const task: A.TaskDecl = {
    kind: "task",
    name,
    range,
    keyword,
    type: nameOf(node.type),
    factors: node.factors.map((t) => nameOf(t)),
    label: undefined,
    where: undefined,
    weight: undefined,
    sampleWeight: undefined,
    loss: undefined,
    after: undefined,
    calibrate: undefined,
    debias: undefined,
    repeatedClauses: [],
  };
  for (const clause of node.clauses) {
    const range = nodeRange(clause);
    // The keyword picked the clause, so it is always a real token.
    const keyword = clause.keyword;
    if (!range || !keyword) continue;
    const repeated = (present: unknown) => {
      if (present !== undefined) task.repeatedClauses.push({ clause: keyword.image, range });
    };
    const type = keyword.tokenType;
    if (type === Label || type === Where) {
      const column = columnName(clause.column);
      if (!column) continue;
      const built = { column, range, positives: clause.positives.map(buildValue) };
      if (type === Label) {
        repeated(task.label);
        task.label = built;
      } else {
        repeated(task.where);
        task.where = built;
      }
    } else if (type === Weight) {
      if (!clause.weight) continue;
      repeated(task.weight);
      task.weight = numberValue(clause.weight);
    } else if (type === SampleWeight) {
      const column = columnName(clause.column);
      if (!column) continue;
      repeated(task.sampleWeight);
      task.sampleWeight = column;
    } else if (type === Loss) {
      if (!clause.loss) continue;
      repeated(task.loss);
      task.loss = buildValue(clause.loss);
    } else if (type === After) {
      if (!clause.task) continue;
      repeated(task.after);
      task.after = nameOf(clause.task);
    } else if (type === Calibrate) {
      if (!clause.weight) continue;
      repeated(task.calibrate);
      task.calibrate = numberValue(clause.weight);
    } else if (type === Debias) {
      // The parse tree keeps a clause's one value in `loss`, whichever keyword introduced it.
      if (!clause.loss) continue;
      repeated(task.debias);
      task.debias = buildValue(clause.loss);
    }
  }
  return task;
}

function buildCall(node: CallNode): A.CallValue {
  const callee = nameOf(node.callee) ?? { text: "", range: nodeRange(node) ?? emptyRange() };
  const positional: A.Value[] = [];
  const options: A.OptionEntry[] = [];
  for (const arg of node.args) {
    if (arg.named) {
      const entry = namedValue(arg.named);
      if (entry) options.push(entry);
    } else if (arg.value) {
      positional.push(buildValue(arg.value));
    }
  }
  return { kind: "call", callee, positional, options, range: nodeRange(node) ?? callee.range };
}

function namedValue(node: NamedValueNode): A.OptionEntry | undefined {
  const name = nameOf(node.name);
  if (!name || !node.value) return undefined;
  const value = buildValue(node.value);
  return { name, value, range: span(name.range, value.range) };
}

function buildValue(node: ValueNode): A.Value {
  if (node.call) return buildCall(node.call);
  if (node.list) return { kind: "list", items: node.list.items.map(buildValue), range: nodeRange(node.list)! };
  const tok = node.token;
  // A value that failed to parse before its first token: an empty list keeps
  // the option present.
  if (!tok) return { kind: "list", items: [], range: emptyRange() };
  if (tok.tokenType === NumberLiteral) return numberValue(tok);
  if (tok.tokenType === StringLiteral || tok.tokenType === UnterminatedString) return stringValue(tok);
  if (tok.tokenType === Star) return { kind: "star", range: tokenRange(tok) };
  const name = nameOf(tok);
  return { kind: "name", name, range: name.range };
}

function numberValue(tok: IToken): A.NumberValue {
  return { kind: "number", value: parseNumber(tok.image), text: tok.image, range: tokenRange(tok) };
}

const ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r" };

function stringValue(tok: IToken): A.StringValue {
  const body = tok.tokenType === UnterminatedString ? tok.image.slice(1) : tok.image.slice(1, -1);
  const value = body.includes("\\") ? body.replace(/\\(.)/g, (_, c: string) => ESCAPES[c] ?? c) : body;
  return { kind: "string", value, range: tokenRange(tok) };
}

function nameOf(tok: IToken): A.Name;
function nameOf(tok: IToken | undefined): A.Name | undefined;
function nameOf(tok: IToken | undefined): A.Name | undefined {
  return tok ? { text: tok.image, range: tokenRange(tok) } : undefined;
}

/** A column written as a string names the column by its unescaped text. */
function columnName(tok: IToken | undefined): A.Name | undefined {
  if (!tok) return undefined;
  if (tok.tokenType === StringLiteral || tok.tokenType === UnterminatedString) {
    const value = stringValue(tok);
    return { text: value.value, range: value.range };
  }
  return nameOf(tok);
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

/** The text a node's real tokens span; undefined when it has none. */
function nodeRange(node: Extent): A.Range | undefined {
  return Number.isNaN(node.start) ? undefined : lines.range(node.start, node.end);
}

function emptyRange(): A.Range {
  const p = { line: 1, column: 1, offset: 0 };
  return { start: p, end: p };
}

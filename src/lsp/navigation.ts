import { LSPErrorCodes, ResponseError, SymbolKind, type DocumentSymbol, type Location, type TextEdit, type WorkspaceEdit } from "vscode-languageserver/node.js";
import type * as L from "vscode-languageserver/node.js";
import { isNamedDecl } from "../syntax/ast.js";
import type * as A from "../syntax/ast.js";
import { KEYWORD_WORDS } from "../syntax/tokens.js";
import { memberName, type FeatureSym, type Sym } from "../validation/symbols.js";
import { occurrenceAt, toLspRange, type Analysis } from "./analysis.js";

export function definition(analysis: Analysis, offset: number): Location | null {
  const occ = occurrenceAt(analysis, offset);
  return occ ? { uri: analysis.uri, range: toLspRange(occ.sym.decl.name.range) } : null;
}

export function references(analysis: Analysis, offset: number, includeDeclaration: boolean): Location[] {
  const occ = occurrenceAt(analysis, offset);
  if (!occ) return [];
  const ranges = [...(includeDeclaration ? [occ.sym.decl.name.range] : []), ...usesOf(occ.sym).map((r) => r.name.range)];
  return ranges.sort((a, b) => a.start.offset - b.start.offset).map((range) => ({ uri: analysis.uri, range: toLspRange(range) }));
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Every place that names `sym`, with the text each must become when `sym` is
 * renamed to `to`. A feature group is also named through its members: `C3`
 * is the group `C`'s third member, and becomes `D3` when `C` becomes `D`.
 */
function usesOf(sym: Sym): { name: A.Name; renamed: (to: string) => string }[] {
  const own = sym.references.map((name) => ({ name, renamed: (to: string) => to }));
  if (sym.kind !== "feature" || !sym.members) return own;
  const members = sym.members.flatMap((m) => m.references.map((name) => ({ name, renamed: (to: string) => memberName(to, m.index) })));
  return [...own, ...members].sort((a, b) => a.name.range.start.offset - b.name.range.start.offset);
}

/** Members of a feature group are named after it; only the group can be renamed. */
function renameTarget(occ: { sym: Sym }): Sym {
  const sym = occ.sym;
  if (sym.kind === "feature" && sym.group) {
    throw new ResponseError(LSPErrorCodes.RequestFailed, `'${sym.name}' is a member of the feature group '${sym.group.name}' and is named after it; rename the group instead.`);
  }
  return sym;
}

export function prepareRename(analysis: Analysis, offset: number): { range: L.Range; placeholder: string } {
  const occ = occurrenceAt(analysis, offset);
  if (!occ) throw new ResponseError(LSPErrorCodes.RequestFailed, "Only a declared feature, input, expert, gate, tower or task can be renamed.");
  renameTarget(occ);
  return { range: toLspRange(occ.range), placeholder: occ.sym.name };
}

/** Why `newName` cannot replace `sym`'s name, or undefined when it can. */
export function renameProblem(analysis: Analysis, sym: Sym, newName: string): string | undefined {
  if (!IDENTIFIER.test(newName)) return `'${newName}' is not a valid name: use letters, digits and '_', not starting with a digit.`;
  if (KEYWORD_WORDS.has(newName)) return `'${newName}' is a keyword of the language and cannot name a ${sym.kind}.`;
  if (newName === sym.name) return undefined;
  // A group's members are renamed with it, so their new names must be free too (of anything but the group itself).
  const members = sym.kind === "feature" ? (sym.members ?? []) : [];
  // Text the parser skipped after a syntax error has no references in the AST: a use there would keep the old name.
  const skipped = [sym, ...members].find((s) => analysis.checked.ast.skippedNames?.has(s.name));
  if (skipped) return `'${skipped.name}' is also written where a syntax error made the parser skip text, which a rename would miss; fix the syntax error first.`;
  const own = new Set<Sym>([sym, ...members]);
  for (const name of [newName, ...members.map((m) => memberName(newName, m.index))]) {
    const clash = analysis.checked.symbols.get(name);
    if (clash && !own.has(clash)) {
      const at = clash.decl.name.range.start;
      const what = clash.kind === "feature" && clash.group ? `a member of the feature group '${clash.group.name}' at line ${at.line}` : `${clash.kind} at line ${at.line}`;
      const via = name === newName ? "" : ` (the group's member '${name}')`;
      return `'${name}' is already declared (${what}); renaming '${sym.name}' would clash with it${via}.`;
    }
  }
  for (const decl of analysis.checked.ast.decls) {
    if (isNamedDecl(decl) && decl.kind !== "model" && decl.name.text === newName) {
      return `'${newName}' is already declared (line ${decl.name.range.start.line}); renaming '${sym.name}' would clash with it.`;
    }
  }
  return undefined;
}

export function rename(analysis: Analysis, offset: number, newName: string): WorkspaceEdit {
  const occ = occurrenceAt(analysis, offset);
  if (!occ) throw new ResponseError(LSPErrorCodes.RequestFailed, "Only a declared feature, input, expert, gate, tower or task can be renamed.");
  const sym = renameTarget(occ);
  const problem = renameProblem(analysis, sym, newName);
  if (problem) throw new ResponseError(LSPErrorCodes.RequestFailed, problem);
  if (newName === sym.name) return { changes: { [analysis.uri]: [] } };
  const edits: TextEdit[] = [{ name: sym.decl.name, renamed: (to: string) => to }, ...usesOf(sym)]
    .sort((a, b) => a.name.range.start.offset - b.name.range.start.offset)
    .map((use) => ({ range: toLspRange(use.name.range), newText: use.renamed(newName) }));
  const keep = keepColumn(sym);
  if (keep) edits.push(keep);
  return { changes: { [analysis.uri]: edits } };
}

/**
 * A feature without `column:` reads the column named like itself; renaming it
 * would silently read another column, so the old column is written out. For
 * a group, `column: C` keeps its members reading C1 … CN.
 */
function keepColumn(sym: Sym): TextEdit | undefined {
  if (sym.kind !== "feature") return undefined;
  const call = (sym as FeatureSym).decl.ctor;
  if (!call || call.options.some((o) => o.name.text === "column")) return undefined;
  const args: { range: A.Range }[] = [...call.positional, ...call.options];
  const last = args.sort((a, b) => a.range.end.offset - b.range.end.offset)[args.length - 1];
  const at = last ? last.range.end : call.callee.range.end;
  // After the last argument, or right after `name(` when there is none.
  const pos = last ? { line: at.line - 1, character: at.column - 1 } : { line: at.line - 1, character: at.column };
  return { range: { start: pos, end: pos }, newText: last ? `, column: ${sym.name}` : `column: ${sym.name}` };
}

// ── outline ─────────────────────────────────────────────────────────────

const SYMBOL_KINDS: Record<A.Decl["kind"], SymbolKind> = {
  model: SymbolKind.Module,
  feature: SymbolKind.Field,
  input: SymbolKind.Variable,
  expert: SymbolKind.Class,
  gate: SymbolKind.Operator,
  tower: SymbolKind.Struct,
  task: SymbolKind.Function,
  train: SymbolKind.Namespace,
  data: SymbolKind.Namespace,
};

/** The model is the root with every other declaration as a child; without a model the list is flat. */
export function documentSymbols(analysis: Analysis): DocumentSymbol[] {
  const { ast, symbols } = analysis.checked;
  const out: DocumentSymbol[] = [];
  let root: DocumentSymbol | undefined;
  for (const decl of ast.decls) {
    const named = isNamedDecl(decl);
    const selection = named ? decl.name.range : decl.keyword;
    const sym = named ? symbols.get(decl.name.text) : undefined;
    const item: DocumentSymbol = {
      name: named ? decl.name.text || "(unnamed)" : decl.kind,
      detail: detail(decl, sym?.decl === decl ? sym : undefined),
      kind: SYMBOL_KINDS[decl.kind],
      range: toLspRange(decl.range),
      selectionRange: toLspRange(selection),
    };
    if (decl.kind === "model" && !root) {
      root = { ...item, children: [] };
      out.push(root);
    } else out.push(item);
  }
  if (!root) return out;
  // Every declaration belongs to the model whatever its place in the file;
  // the root's range must contain its children's, so it spans the file.
  root.children = out.filter((s) => s !== root);
  root.range = toLspRange(ast.range);
  return [root];
}

function detail(decl: A.Decl, sym: Sym | undefined): string {
  const w = sym?.width !== undefined ? `, width ${sym.width}` : "";
  switch (decl.kind) {
    case "model":
      return decl.description?.value ?? "model";
    case "feature":
      return sym?.kind === "feature" && sym.members ? `${decl.ctor?.callee.text ?? "feature"} ×${sym.members.length}${w && `${w} each`}` : `${decl.ctor?.callee.text ?? "feature"}${w}`;
    case "expert":
      return sym?.kind === "expert" && sym.count > 1 ? `expert ×${sym.count}${w}` : `expert${w}`;
    case "task":
      return `${decl.type?.text ?? "task"} task${decl.label ? `, label ${decl.label.column.text}` : ", latent"}`;
    case "train":
    case "data":
      return `${decl.kind} block`;
    default:
      return `${decl.kind}${w}`;
  }
}

import { sortDiagnostics, type Diagnostic } from "../diagnostics/diagnostic.js";
import { isNamedDecl } from "../syntax/ast.js";
import type * as A from "../syntax/ast.js";
import { CheckContext } from "./context.js";
import { checkData } from "./data.js";
import { checkDeclaration } from "./declarations.js";
import { inferWidths, orderSymbols } from "./graph.js";
import { draft, type DataOptions, type TrainOptions } from "./option-types.js";
import { checkOptions, checkValue } from "./options.js";
import { DATA_BLOCK, TRAIN_BLOCK } from "./schema.js";
import { checkSharedTables } from "./shared-tables.js";
import { memberRange, newMember, newSym, type FeatureSym, type Sym, type TaskSym } from "./symbols.js";
import { checkTasks } from "./tasks.js";
import { checkWeighting } from "./weighting.js";

/** The checked model: the AST plus everything the checker learned about it. */
export interface CheckedSpec {
  file: string;
  ast: A.SpecFile;
  model?: A.ModelDecl;
  symbols: Map<string, Sym>;
  /** Acyclic symbols in dependency order. */
  order: Sym[];
  train: TrainOptions;
  data: DataOptions;
  diagnostics: Diagnostic[];
}

/** Runs every rule and reports all problems in one pass. */
export function check(ast: A.SpecFile): CheckedSpec {
  const ctx = new CheckContext(ast.file, ast.lostNames);
  const startOfFile: A.Range = { start: ast.range.start, end: ast.range.start };
  const singletons = declare(ctx, ast);

  for (const sym of ctx.symbols.values()) checkDeclaration(ctx, sym);
  checkSharedTables(ctx);
  const train = checkOptions(ctx, singletons.train?.entries ?? [], TRAIN_BLOCK, "train", singletons.train?.keyword ?? startOfFile);
  const data = checkOptions(ctx, singletons.data?.entries ?? [], DATA_BLOCK, "data", singletons.data?.keyword ?? startOfFile);

  const order = orderSymbols(ctx);
  inferWidths(ctx, order);
  const tasks = [...ctx.symbols.values()].filter((s): s is TaskSym => s.kind === "task");
  // Tasks left out as duplicates or broken by a syntax error are reported already.
  const taskDeclared = ast.broken?.has("task") || ast.decls.some((d) => d.kind === "task");
  checkTasks(ctx, tasks, taskDeclared ? undefined : (singletons.model?.name.range ?? startOfFile), draft(train).sample_weight);
  checkWeighting(ctx, train.weighting, tasks, singletons.train);
  checkData(ctx, data, singletons.data, draft(train).sample_weight);
  reportUnused(ctx, ast.skippedNames);
  if (!singletons.model && !ast.broken?.has("model")) ctx.report("MTL2004", startOfFile);

  return {
    file: ast.file,
    ast,
    ...(singletons.model && { model: singletons.model }),
    symbols: ctx.symbols,
    order,
    train,
    data,
    diagnostics: sortDiagnostics(ctx.diagnostics),
  };
}

interface Singletons {
  model?: A.ModelDecl;
  train?: A.BlockDecl;
  data?: A.BlockDecl;
}

/** Fills the symbol table; the first declaration of a name wins, later ones are reported. */
function declare(ctx: CheckContext, ast: A.SpecFile): Singletons {
  const singletons: Singletons = {};
  const once = <K extends keyof Singletons>(key: K, decl: NonNullable<Singletons[K]>, what: string) => {
    if (singletons[key]) ctx.report("MTL2005", decl.keyword, what);
    else singletons[key] = decl;
  };
  for (const decl of ast.decls) {
    if (!isNamedDecl(decl)) once(decl.kind, decl, `'${decl.kind}' block`);
    else if (decl.kind === "model") once("model", decl, "'model' declaration");
    else declareNamed(ctx, decl);
  }
  return singletons;
}

/**
 * Adds a declaration's symbol, and for a feature group (`feature C[26]`) its
 * members C1 … C26 right after it, so the table keeps declaration order. A
 * declaration any of whose names is taken already is reported and left out.
 */
function declareNamed(ctx: CheckContext, decl: Exclude<A.NamedDecl, A.ModelDecl>): void {
  const existing = ctx.symbols.get(decl.name.text);
  if (existing && !isMember(existing)) {
    const d = ctx.report("MTL2002", decl.name.range, decl.name.text);
    d.related = [{ message: `'${decl.name.text}' is first declared here`, range: existing.decl.name.range }];
    return;
  }
  const sym = newSym(decl);
  if (existing) {
    reportMemberClash(ctx, decl.name.text, existing, sym);
    return;
  }
  if (sym.kind === "expert" && decl.kind === "expert" && decl.count) {
    const count = checkValue(ctx, decl.count, { t: "int", min: 1, max: 1024 }, "The expert count");
    if (typeof count === "number") sym.count = count;
    else sym.countRejected = true;
  }
  if (sym.kind === "feature" && decl.kind === "feature" && decl.count) {
    // An invalid count leaves the group without members: references to it still resolve.
    const count = checkValue(ctx, decl.count, { t: "int", min: 1, max: 1024 }, "The feature count");
    const members = typeof count === "number" ? Array.from({ length: count }, (_, i) => newMember(sym, i + 1)) : [];
    const taken = members.find((m) => ctx.symbols.has(m.name));
    if (taken) {
      reportMemberClash(ctx, taken.name, ctx.symbols.get(taken.name)!, taken);
      return;
    }
    sym.members = members;
    ctx.symbols.set(sym.name, sym);
    for (const member of members) ctx.symbols.set(member.name, member);
    return;
  }
  ctx.symbols.set(sym.name, sym);
}

function isMember(sym: Sym): boolean {
  return sym.kind === "feature" && sym.group !== undefined;
}

/**
 * `name` is declared by `first` and again by `second` (not yet in the table),
 * at least one of them a member of a feature group. The group's name does not
 * spell the member out, so both places are reported, each pointing at the other.
 */
function reportMemberClash(ctx: CheckContext, name: string, first: Sym, second: Sym): void {
  const member = [first, second].find((s): s is FeatureSym => s.kind === "feature" && s.group !== undefined)!;
  const group = member.group!;
  // Members exist only when the group's count was valid.
  const count = group.decl.count?.value ?? member.index;
  const members = memberRange(group.name, count);
  const at = (sym: Sym) => sym.decl.name.range;
  const what = (sym: Sym) => (isMember(sym) ? `the feature group '${group.name}[${count}]' declares '${name}' here` : `'${name}' is declared here`);
  const later = ctx.report("MTL2007", at(second), name, group.name, count, members);
  later.related = [{ message: what(first), range: at(first) }];
  const earlier = ctx.report("MTL2007", at(first), name, group.name, count, members);
  earlier.related = [{ message: what(second), range: at(second) }];
}

const KIND_WORD: Record<Sym["kind"], string> = { feature: "Feature", input: "Input", expert: "Expert", gate: "Gate", tower: "Tower", task: "Task" };

/** `skipped`: names in text a syntax error made the parser skip, which may be where they are used. */
function reportUnused(ctx: CheckContext, skipped: ReadonlySet<string> = new Set()): void {
  for (const sym of ctx.symbols.values()) {
    if (sym.kind === "task" || sym.references.length > 0 || skipped.has(sym.name)) continue;
    if (sym.kind === "feature" && sym.usedByStar) continue;
    // A group is used when it or any member is; members are not reported on their own.
    if (sym.kind === "feature" && (sym.group || sym.members?.some((m) => m.references.length > 0))) continue;
    ctx.report("MTL2006", sym.decl.name.range, KIND_WORD[sym.kind], sym.name);
  }
}

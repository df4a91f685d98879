import { sortDiagnostics, type Diagnostic } from "../diagnostics/diagnostic.js";
import { isNamedDecl } from "../syntax/ast.js";
import type * as A from "../syntax/ast.js";
import { CheckContext } from "./context.js";
import { checkData } from "./data.js";
import { checkDeclaration } from "./declarations.js";
import { inferWidths, orderSymbols } from "./graph.js";
import { checkOptions, checkValue, type Checked } from "./options.js";
import { DATA_BLOCK, TRAIN_BLOCK } from "./schema.js";
import { newSym, type Sym, type TaskSym } from "./symbols.js";
import { checkTasks } from "./tasks.js";

/** The checked model: the AST plus everything the checker learned about it. */
export interface CheckedSpec {
  file: string;
  ast: A.SpecFile;
  model?: A.ModelDecl;
  symbols: Map<string, Sym>;
  /** Acyclic symbols in dependency order. */
  order: Sym[];
  train: Checked;
  data: Checked;
  diagnostics: Diagnostic[];
}

/** Runs every rule and reports all problems in one pass. */
export function check(ast: A.SpecFile): CheckedSpec {
  const ctx = new CheckContext(ast.file);
  const startOfFile: A.Range = { start: ast.range.start, end: ast.range.start };
  const singletons = declare(ctx, ast);

  for (const sym of ctx.symbols.values()) checkDeclaration(ctx, sym);
  const train = checkOptions(ctx, singletons.train?.entries ?? [], TRAIN_BLOCK, "train", singletons.train?.keyword ?? startOfFile);
  const data = checkOptions(ctx, singletons.data?.entries ?? [], DATA_BLOCK, "data", singletons.data?.keyword ?? startOfFile);

  const order = orderSymbols(ctx);
  inferWidths(ctx, order);
  const tasks = [...ctx.symbols.values()].filter((s): s is TaskSym => s.kind === "task");
  checkTasks(ctx, tasks, singletons.model?.name.range ?? startOfFile);
  checkData(ctx, data, singletons.data);
  reportUnused(ctx);
  if (!singletons.model) ctx.report("MTL2004", startOfFile);

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
    else if (ctx.symbols.has(decl.name.text)) {
      const first = ctx.symbols.get(decl.name.text)!;
      const d = ctx.report("MTL2002", decl.name.range, decl.name.text);
      d.related = [{ message: `'${decl.name.text}' is first declared here`, range: first.decl.name.range }];
    } else {
      const sym = newSym(decl);
      if (sym.kind === "expert" && decl.kind === "expert" && decl.count) {
        const count = checkValue(ctx, decl.count, { t: "int", min: 1, max: 1024 }, "The expert count");
        if (typeof count === "number") sym.count = count;
      }
      ctx.symbols.set(sym.name, sym);
    }
  }
  return singletons;
}

const KIND_WORD: Record<Sym["kind"], string> = { feature: "Feature", input: "Input", expert: "Expert", gate: "Gate", tower: "Tower", task: "Task" };

function reportUnused(ctx: CheckContext): void {
  for (const sym of ctx.symbols.values()) {
    if (sym.kind === "task" || sym.references.length > 0) continue;
    if (sym.kind === "feature" && sym.usedByStar) continue;
    ctx.report("MTL2006", sym.decl.name.range, KIND_WORD[sym.kind], sym.name);
  }
}

import type * as A from "../syntax/ast.js";
import { span } from "../syntax/range.js";
import type { CheckContext } from "./context.js";
import { draft } from "./option-types.js";
import { checkDebiasCall } from "./debias.js";
import { checkCall, checkValue } from "./options.js";
import { FEATURE_CTORS, GATE_CTORS, INPUT_CTORS, LOSS_CTORS, LOSSES_BY_TYPE, MLP_CTORS, TASK_TYPES, VALUE_KINDS } from "./schema.js";
import { memberName, type ExpertSym, type FeatureSym, type GateSym, type InputSym, type Sym, type TaskSym, type TowerSym } from "./symbols.js";
import { checkTransferClauses } from "./transfer.js";

/**
 * The checks of each kind of declaration, keyed by kind: each resolves the
 * declaration's references, checks its constructor and options, and fills in
 * its symbol. Rules that need the whole graph live in graph.ts and tasks.ts.
 */
type DeclChecks = { [K in Sym["kind"]]: (ctx: CheckContext, sym: Extract<Sym, { kind: K }>) => void };

export const DECLARATION_CHECKS: DeclChecks = {
  feature: checkFeature,
  input: checkInput,
  expert: checkNetwork,
  tower: checkNetwork,
  gate: checkGate,
  task: checkTask,
};

export function checkDeclaration(ctx: CheckContext, sym: Sym): void {
  (DECLARATION_CHECKS[sym.kind] as (ctx: CheckContext, sym: Sym) => void)(ctx, sym);
}

function checkFeature(ctx: CheckContext, sym: FeatureSym): void {
  // A group member is filled in by its group's check: the options are checked once.
  if (sym.group) return;
  checkFeatureCall(ctx, sym);
  for (const member of sym.members ?? []) {
    if (sym.call) member.call = sym.call;
    member.deps.push(...sym.deps);
    // Members read the column of their own name, or, with `column: P`, P1 … PN.
    member.column = memberName(sym.column, member.index);
    member.columnRange = sym.columnRange;
  }
}

function checkFeatureCall(ctx: CheckContext, sym: FeatureSym): void {
  const call = sym.decl.ctor;
  if (!call) return;
  const checked = checkCall(ctx, call, FEATURE_CTORS, "feature type");
  if (!checked) return;
  sym.call = checked;
  const { column } = draft(checked.options);
  if (column) {
    sym.column = column.text;
    sym.columnRange = column.range;
  }
  const of = checked.ctor === "sequence" ? draft(checked.options).of : undefined;
  if (of?.sym) {
    sym.deps.push(of.sym);
    const targetCtor = of.sym.decl.kind === "feature" ? of.sym.decl.ctor?.callee.text : undefined;
    if (targetCtor && targetCtor !== "categorical" && targetCtor in FEATURE_CTORS) {
      ctx.report("MTL2003", of.name.range, of.name.text, `a ${targetCtor} feature`, "a categorical feature (whose embedding table the items share)");
    }
  }
}

function checkInput(ctx: CheckContext, sym: InputSym): void {
  const call = sym.decl.expr;
  if (!call) return;
  const checked = checkCall(ctx, call, INPUT_CTORS, "input expression");
  if (!checked) return;
  const args = checked.args.inputs ?? [];
  if (call.positional.length === 0) ctx.report("MTL4005", call.range);
  const seen = new Set<Sym>();
  const add = (target: Sym) => {
    if (seen.has(target)) return;
    seen.add(target);
    sym.inputs.push(target);
    sym.deps.push(target);
  };
  const star = args.includes("*");
  for (const arg of args) {
    if (arg === "*") {
      for (const other of ctx.symbols.values()) {
        if (other.kind !== "feature") continue;
        other.usedByStar = true;
        // A group's members follow it in the table, so they come in its place.
        if (!other.members) add(other);
      }
    } else if (arg?.sym) {
      // A feature group stands for its members, in order.
      const targets = arg.sym.kind === "feature" && arg.sym.members ? arg.sym.members : [arg.sym];
      // `*` already brings every feature in; naming one again is a mistake too.
      const again = star && arg.sym.kind === "feature" ? arg.sym : targets.find((t) => seen.has(t));
      if (again) ctx.report("MTL4007", arg.name.range, again === arg.sym ? arg.name.text : again.name);
      targets.forEach(add);
    }
  }
}

function checkNetwork(ctx: CheckContext, sym: ExpertSym | TowerSym): void {
  const call = sym.decl.expr;
  if (!call) return;
  const checked = checkCall(ctx, call, MLP_CTORS, sym.kind === "expert" ? "expert network" : "tower network");
  if (!checked) return;
  const { input, layers: units } = checked.args;
  if (input?.sym) {
    sym.input = input.sym;
    sym.deps.push(input.sym);
  }
  if (units) sym.units = units;
  sym.options = checked.options;
}

function checkGate(ctx: CheckContext, sym: GateSym): void {
  const call = sym.decl.expr;
  const checked = call && checkCall(ctx, call, GATE_CTORS, "gate");
  const input = checked?.args.input;
  if (input?.sym) {
    sym.input = input.sym;
    sym.deps.push(input.sym);
  }
  if (checked) sym.options = checked.options;
  const seen = new Set<Sym>();
  for (const name of sym.decl.over) {
    const expert = ctx.resolve(name, ["expert"]);
    if (!expert) continue;
    if (seen.has(expert)) {
      ctx.report("MTL4006", name.range, name.text, sym.name);
      continue;
    }
    seen.add(expert);
    sym.experts.push(expert as ExpertSym);
    sym.deps.push(expert);
  }
}

function checkTask(ctx: CheckContext, sym: TaskSym): void {
  const decl = sym.decl;
  if (decl.type) {
    const type = decl.type.text;
    if ((TASK_TYPES as readonly string[]).includes(type)) sym.type = type as TaskSym["type"];
    else checkValue(ctx, { kind: "name", name: decl.type, range: decl.type.range }, { t: "enum", values: TASK_TYPES }, "task type");
  }
  checkFactors(ctx, sym);
  if (decl.label && decl.label.positives.length > 0) {
    sym.positives = fieldValues(ctx, decl.label.positives, "A positive label value");
    if (sym.type === "regression") ctx.report("MTL5005", span(decl.label.positives[0]!.range, decl.label.positives.at(-1)!.range));
  }
  if (decl.where && decl.where.positives.length > 0) sym.wherePositives = fieldValues(ctx, decl.where.positives, "A 'where' value");
  if (decl.weight && decl.weight.value < 0) ctx.report("MTL3004", decl.weight.range, "A task weight", "at least 0", decl.weight.text);
  if (decl.loss) checkLoss(ctx, sym, decl.loss);
  checkTransferClauses(ctx, sym);
  if (decl.sampleWeight) checkSampleWeight(ctx, decl);
  if (decl.debias) checkDebiasCall(ctx, sym, decl.debias);
  for (const repeated of decl.repeatedClauses) ctx.report("MTL3006", repeated.range, repeated.clause, "clause");
}

/** A row's weight is a column of its own: a latent task has no loss to weigh, and a label or mask column as weight is a mistake. */
function checkSampleWeight(ctx: CheckContext, decl: A.TaskDecl): void {
  const column = decl.sampleWeight!;
  if (!decl.label) ctx.report("MTL5040", column.range, decl.name.text);
  const same = [decl.label, decl.where].find((c) => c?.column.text === column.text);
  if (same) ctx.report("MTL5041", column.range, column.text, same === decl.label ? "label" : "where");
}

/** The field texts of `is A | B`: strings, or numbers as written (`is 1`); a value written twice is reported. */
function fieldValues(ctx: CheckContext, values: A.Value[], what: string): string[] {
  const texts: string[] = [];
  for (const value of values) {
    const text = value.kind === "string" ? value.value : value.kind === "number" ? value.text : undefined;
    if (text === undefined) {
      checkValue(ctx, value, { t: "string" }, what);
    } else if (texts.includes(text)) {
      ctx.report("MTL5013", value.range, text);
    } else {
      texts.push(text);
    }
  }
  return texts;
}

function checkFactors(ctx: CheckContext, sym: TaskSym): void {
  const factors = sym.decl.factors;
  if (factors.length === 1) {
    const head = ctx.resolve(factors[0]!, VALUE_KINDS, { single: true });
    if (head) {
      sym.head = head;
      sym.deps.push(head);
    }
    return;
  }
  const seen = new Set<Sym>();
  for (const name of factors) {
    const factor = ctx.resolve(name, ["task"]);
    if (!factor) continue;
    if (factor === sym || seen.has(factor)) {
      if (seen.has(factor)) ctx.report("MTL5008", name.range, name.text);
      else sym.deps.push(factor); // a self-reference is a cycle; graph.ts reports it
      continue;
    }
    seen.add(factor);
    sym.factors.push(factor as TaskSym);
    sym.deps.push(factor);
  }
}

function checkLoss(ctx: CheckContext, sym: TaskSym, loss: A.Value): void {
  const checked = checkValue(ctx, loss, { t: "ctor", ctors: LOSS_CTORS, what: "loss" }, "The loss");
  if (!checked) return;
  const allowed = sym.type ? LOSSES_BY_TYPE[sym.type]! : [];
  if (sym.type && !allowed.includes(checked.ctor)) {
    ctx.report("MTL5007", loss.range, checked.ctor, sym.type, allowed.join(", "));
    return;
  }
  sym.loss = checked;
}


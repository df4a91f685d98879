/**
 * ESCM²'s `debias` clause (Wang et al., SIGIR 2022): `debias ips(ctr)` or
 * `debias dr(ctr, imputation: imp)` on a binary task with `where`. The loss
 * itself is src/runtime/loss/debias.ts; these are the rules that make it mean
 * what the paper means: the propensity is the probability of the `where`
 * column, predicted over every row, and the imputation is a head nothing else
 * trains.
 */
import type * as A from "../syntax/ast.js";
import type { CheckContext } from "./context.js";
import { checkCall, checkValue } from "./options.js";
import { DEBIAS_CTORS } from "./schema.js";
import type { TaskSym } from "./symbols.js";

/** Per task: the clause's constructor, options and names (unknown names and wrong kinds are reported here). */
export function checkDebiasCall(ctx: CheckContext, sym: TaskSym, value: A.Value): void {
  if (value.kind === "call") {
    sym.debias = checkCall(ctx, value, DEBIAS_CTORS, "debias method");
  } else if (value.kind === "name" && value.name.text in DEBIAS_CTORS) {
    // A bare `debias ips` lacks the propensity every method needs.
    ctx.report("MTL3008", value.range, value.name.text, DEBIAS_CTORS[value.name.text as keyof typeof DEBIAS_CTORS].usage);
  } else {
    checkValue(ctx, value, { t: "ctor", ctors: DEBIAS_CTORS, what: "debias method" }, "The debias method");
  }
}

/** The tasks `debias dr(..., imputation: T)` names: trained by that loss, not through a label. */
export function imputationTasks(tasks: readonly TaskSym[]): Set<TaskSym> {
  const out = new Set<TaskSym>();
  for (const task of tasks) {
    const imputation = imputationOf(task);
    if (imputation) out.add(imputation);
  }
  return out;
}

function imputationOf(task: TaskSym): TaskSym | undefined {
  const d = task.debias;
  return d?.ctor === "dr" && d.options.imputation?.sym?.kind === "task" ? d.options.imputation.sym : undefined;
}

/** Across tasks, once `where` columns are resolved to the tasks labelling them (tasks.ts). */
export function checkDebias(ctx: CheckContext, tasks: readonly TaskSym[], trainSampleWeight?: A.Name): void {
  const imputedBy = new Map<TaskSym, TaskSym>();
  for (const task of tasks) {
    const d = task.debias;
    const clause = task.decl.debias;
    if (!d || !clause) continue;
    // Row weights travel in the task's mask, which debias reads as the selection o_i: the two cannot combine.
    const weight = task.decl.sampleWeight ?? trainSampleWeight;
    if (weight) ctx.report("MTL5042", clause.range, task.name, weight.text, task.decl.sampleWeight ? "its 'sample_weight' clause" : "train's 'sample_weight'");
    if (task.type !== "binary" || !task.decl.label) ctx.report("MTL5031", clause.range, task.name);
    const where = task.decl.where;
    if (!where) ctx.report("MTL5030", clause.range, task.name);
    checkPropensity(ctx, task, d.args.propensity, tasks);
    if (d.ctor === "dr") {
      const ref = d.options.imputation;
      const imputation = imputationOf(task);
      if (ref && imputation) {
        const usedElsewhere = tasks.some((t) => t.factors.includes(imputation));
        if (imputation.type !== "regression" || imputation.decl.label || imputation.decl.where || !imputation.head || usedElsewhere || imputation === task) {
          ctx.report("MTL5035", ref.name.range, imputation.name);
        }
        const other = imputedBy.get(imputation);
        if (other) ctx.report("MTL5036", ref.name.range, imputation.name, other.name);
        else imputedBy.set(imputation, task);
      }
    }
  }
}

function checkPropensity(ctx: CheckContext, task: TaskSym, ref: { name: A.Name; sym?: unknown } | undefined, tasks: readonly TaskSym[]): void {
  const propensity = ref?.sym as TaskSym | undefined;
  if (!ref || !propensity || propensity.kind !== "task") return; // an unknown name or a wrong kind is reported already
  const range = ref.name.range;
  if (propensity.type !== "binary" || !propensity.decl.label) {
    ctx.report("MTL5032", range, propensity.name);
    return;
  }
  if (propensity.decl.where) ctx.report("MTL5034", range, propensity.name);
  const where = task.decl.where;
  if (where && task.whereTask !== propensity) {
    const owner = tasks.find((t) => t.type === "binary" && t.decl.label && t.decl.label.column.text === where.column.text);
    const hint = owner
      ? task.whereTask === owner
        ? `Name '${owner.name}', which labels it: 'debias ${task.debias!.ctor}(${owner.name})'.`
        : `'${owner.name}' labels '${where.column.text}' with other values than this 'where' selects; make them the same.`
      : `Add a binary task that labels it (e.g. 'task ${where.column.text}_rate : binary = <tower> label ${where.column.text}') and name it here.`;
    ctx.report("MTL5033", range, propensity.name, where.column.text, hint);
  }
}

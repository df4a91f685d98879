import type * as A from "../syntax/ast.js";
import { span } from "../syntax/range.js";
import type { CheckContext } from "./context.js";
import { checkDebias, imputationTasks } from "./debias.js";
import { postOrder } from "./graph.js";
import type { FeatureSym, TaskSym } from "./symbols.js";
import { checkTransfers } from "./transfer.js";

/**
 * Rules over all tasks together: product types, trainability, leakage and masks; with `noTaskRange`, a spec
 * without tasks is reported there. `sampleWeight`: train's `sample_weight`, which weighs every labelled task.
 */
export function checkTasks(ctx: CheckContext, tasks: TaskSym[], noTaskRange: A.Range | undefined, sampleWeight?: A.Name): void {
  if (tasks.length === 0 && noTaskRange) ctx.report("MTL5006", noTaskRange);
  tasks.forEach((task) => checkProductType(ctx, task));
  checkTrainable(ctx, tasks);
  const featureByColumn = featuresByColumn(ctx);
  checkLeakage(ctx, tasks, featureByColumn);
  checkWeightInputs(ctx, tasks, featureByColumn, sampleWeight);
  checkWhere(ctx, tasks);
  checkTransfers(ctx, tasks);
  checkDebias(ctx, tasks, sampleWeight);
}

/** binary * binary -> binary; binary * regression -> regression; regression * regression is an error. */
function checkProductType(ctx: CheckContext, task: TaskSym): void {
  if (task.factors.length < 2 || task.factors.some((f) => !f.type)) return;
  const regressions = task.factors.filter((f) => f.type === "regression");
  const factorNames = task.decl.factors;
  if (regressions.length >= 2) {
    ctx.report("MTL5001", span(factorNames[0]!.range, factorNames[factorNames.length - 1]!.range), regressions[0]!.name, regressions[1]!.name);
    return;
  }
  if (!task.type || !task.decl.type) return;
  const inferred = regressions.length === 1 ? "regression" : "binary";
  if (task.type !== inferred) ctx.report(inferred === "regression" ? "MTL5009" : "MTL5010", task.decl.type.range, task.name);
}

/** A latent task is trained through the labelled tasks that multiply it, directly or transitively. */
function checkTrainable(ctx: CheckContext, tasks: TaskSym[]): void {
  // An imputation task (`debias dr(..., imputation: T)`) is trained by its DR loss.
  const imputations = imputationTasks(tasks);
  const trained = new Set(postOrder(tasks.filter((t) => t.decl.label || imputations.has(t)), (t) => t.factors));
  for (const task of tasks) if (!trained.has(task)) ctx.report("MTL5002", task.decl.name.range, task.name);
}

/** The feature reading each column. A group reads nothing itself: its members read the columns. */
function featuresByColumn(ctx: CheckContext): Map<string, FeatureSym> {
  const byColumn = new Map<string, FeatureSym>();
  for (const sym of ctx.symbols.values()) if (sym.kind === "feature" && !sym.members) byColumn.set(sym.column, sym);
  return byColumn;
}

function checkLeakage(ctx: CheckContext, tasks: TaskSym[], featureByColumn: Map<string, FeatureSym>): void {
  for (const task of tasks) {
    const label = task.decl.label?.column;
    const feature = label && featureByColumn.get(label.text);
    if (label && feature) ctx.report("MTL5003", label.range, label.text, feature.name);
  }
}

/**
 * A row weight that is also an input: legal (a weight may be informative), but the model then sees
 * the weight of its own loss. train's `sample_weight` is reported once, if some labelled task uses it.
 */
function checkWeightInputs(ctx: CheckContext, tasks: TaskSym[], featureByColumn: Map<string, FeatureSym>, trainWeight?: A.Name): void {
  const report = (column: A.Name) => {
    const feature = featureByColumn.get(column.text);
    if (feature) ctx.report("MTL5043", column.range, column.text, feature.name);
  };
  for (const task of tasks) if (task.decl.sampleWeight) report(task.decl.sampleWeight);
  if (trainWeight && tasks.some((t) => t.decl.label && !t.decl.sampleWeight)) report(trainWeight);
}

/**
 * `where COLUMN` may name any 0/1 column of the data: a binary task's label
 * (ESMM's `where click`) or a column no task predicts (a CVR model trained on
 * clicked impressions alone). The data binding checks that it exists
 * (data.ts); the encoder, that its values are 0/1 unless `is` names them.
 */
function checkWhere(ctx: CheckContext, tasks: TaskSym[]): void {
  resolveWhereTasks(tasks);
  const regressionLabels = new Map(tasks.filter((t) => t.type === "regression" && t.decl.label).map((t) => [t.decl.label!.column.text, t.name]));
  for (const task of tasks) {
    const where = task.decl.where;
    if (!where) continue;
    const regression = regressionLabels.get(where.column.text);
    if (where.column.text === task.decl.label?.column.text) {
      ctx.report("MTL5011", where.column.range, where.column.text);
    } else if (regression !== undefined && where.positives.length === 0) {
      ctx.report("MTL5012", where.column.range, where.column.text, regression);
    }
  }
}

/**
 * `where click` reads task ctr's label when ctr is a binary task labelled by
 * click and the `where` names no values of its own (or the same ones): the
 * mask is then that label, which the IR records (`where.task`).
 */
function resolveWhereTasks(tasks: TaskSym[]): void {
  for (const task of tasks) {
    const where = task.decl.where;
    if (!where) continue;
    const owner = tasks.find((t) => t.type === "binary" && t.decl.label?.column.text === where.column.text);
    const same = !task.wherePositives || JSON.stringify(task.wherePositives) === JSON.stringify(owner?.positives ?? null);
    if (owner && same) task.whereTask = owner;
  }
}

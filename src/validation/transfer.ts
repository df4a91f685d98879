/**
 * AITM (Xi et al., KDD 2021): `after TASK` links the steps of a conversion
 * funnel (impression -> click -> purchase) so that a task's head reads what
 * the previous step's tower passes on through an attention unit, and
 * `calibrate NUMBER` keeps the task's probability below that step's.
 *
 * The links are not graph dependencies of the checker (`deps`): a transfer
 * reads the previous task's tower, never its head, so it cannot close a cycle
 * through nodes; cycles among the links themselves are reported here.
 */
import type { CheckContext } from "./context.js";
import type { TaskSym } from "./symbols.js";

/** Resolves `after` and checks the clauses of one task (called with its other clauses, declarations.ts). */
export function checkTransferClauses(ctx: CheckContext, sym: TaskSym): void {
  const decl = sym.decl;
  if (decl.calibrate) {
    if (decl.calibrate.value < 0) ctx.report("MTL3004", decl.calibrate.range, "A calibrator weight", "at least 0", decl.calibrate.text);
    if (!decl.after) ctx.report("MTL5023", decl.calibrate.range, sym.name);
  }
  if (!decl.after) return;
  const from = ctx.resolve(decl.after, ["task"]);
  if (from?.kind === "task") sym.after = from;
  if (from && decl.calibrate && decl.calibrate.value > 0 && decl.where) ctx.report("MTL5024", decl.calibrate.range, sym.name, decl.where.column.text, from.name);
}

/**
 * Rules over the links of all tasks, once every task's type and head are
 * known: both ends are binary tasks with a head of their own, and following
 * `after` from any task reaches a first step.
 */
export function checkTransfers(ctx: CheckContext, tasks: readonly TaskSym[]): void {
  for (const task of tasks) {
    const from = task.after;
    if (!from) continue;
    const at = task.decl.after!.range;
    if (task.decl.factors.length > 1) ctx.report("MTL5021", task.decl.name.range, task.name);
    if (from.decl.factors.length > 1) ctx.report("MTL5021", at, from.name);
    if (task.type && task.type !== "binary") ctx.report("MTL5020", task.decl.type!.range, task.name, task.type);
    if (from.type && from.type !== "binary") ctx.report("MTL5020", at, from.name, from.type);
  }
  reportCycles(ctx, tasks);
}

/** Each cycle of `after` links once, at the link of its first task in the file. */
function reportCycles(ctx: CheckContext, tasks: readonly TaskSym[]): void {
  const done = new Set<TaskSym>();
  for (const start of tasks) {
    const path: TaskSym[] = [];
    const onPath = new Set<TaskSym>();
    let at: TaskSym | undefined = start;
    while (at && !done.has(at) && !onPath.has(at)) {
      path.push(at);
      onPath.add(at);
      at = at.after;
    }
    path.forEach((t) => done.add(t));
    if (!at || !onPath.has(at)) continue;
    const cycle = path.slice(path.indexOf(at));
    const first = cycle.reduce((a, b) => (a.decl.range.start.offset <= b.decl.range.start.offset ? a : b));
    const from = cycle.indexOf(first);
    const ordered = [...cycle.slice(from), ...cycle.slice(0, from), first];
    ctx.report("MTL5022", first.decl.after!.range, ordered.map((t) => t.name).join(" after "));
  }
}

/**
 * `tasks` reordered so that each task with `after` follows the task it names,
 * otherwise in the given order (products already follow their factors, and a
 * transfer adds no product edge). The links are acyclic: the checker saw to it.
 */
export function transferOrder<T>(tasks: readonly T[], after: (task: T) => T | undefined): T[] {
  const listed = new Set(tasks);
  const placed = new Set<T>();
  const order: T[] = [];
  for (const task of tasks) {
    // The chain of unplaced predecessors, walked without recursion: a funnel may be long.
    const chain: T[] = [];
    for (let t: T | undefined = task; t !== undefined && listed.has(t) && !placed.has(t); t = after(t)) {
      chain.push(t);
      placed.add(t);
    }
    order.push(...chain.reverse());
  }
  return order;
}

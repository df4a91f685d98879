import type { EvaluationIR, TaskIR } from "./types.js";

/**
 * Decides once, while lowering (and when upgrade.ts reads an older IR), how
 * each task is scored, so evaluation only reads `task.evaluation`.
 *
 * A labelled task is scored against its own label (under its `where`). A
 * latent factor of a labelled binary product (ESMM's cvr in
 * ctcvr = ctr * cvr) is scored against the product's label on the rows where
 * the other factors' labels are 1: pCVR against purchase on clicked rows.
 * That reading holds only when every other factor is a labelled binary task
 * without a mask of its own; otherwise the task is not scored (null).
 */
export function withEvaluation(tasks: readonly Omit<TaskIR, "evaluation">[]): TaskIR[] {
  const byName = new Map(tasks.map((t) => [t.name, t]));
  const plainBinary = (name: string) => {
    const t = byName.get(name);
    return t !== undefined && t.label !== null && t.type === "binary" && t.where === null;
  };
  return tasks.map((task) => {
    let evaluation: EvaluationIR | null = null;
    if (task.label !== null) {
      evaluation = { label: task.name, given: [] };
    } else {
      const product = tasks.find(
        (p) => p.label !== null && p.type === "binary" && p.head.op === "product" && p.head.factors.includes(task.name) && p.head.factors.every((f) => f === task.name || plainBinary(f)),
      );
      if (product && product.head.op === "product") evaluation = { label: product.name, given: product.head.factors.filter((f) => f !== task.name) };
    }
    // Spread first so that `evaluation` keeps its place after `where` in written IR.
    const { weight, loss, debias, doc, ...head } = task;
    return { ...head, evaluation, weight, loss, ...(debias !== undefined && { debias }), ...(doc !== undefined && { doc }) };
  });
}

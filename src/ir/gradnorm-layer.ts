/**
 * Where GradNorm measures the tasks' gradients (Chen et al. 2018 use "the last
 * shared layer"): the shared networks nearest the tasks. A network here is an
 * mlp node (expert or tower); gates are left out, their kernel only sets how
 * experts mix. Written once over any graph so the checker (over its symbols,
 * to place a diagnostic) and the IR gate and back ends (over the IR) decide
 * the same way.
 */
import { names } from "../plan/names.js";
import type { MlpNodeIR, ModelIR, NodeIR, TaskIR } from "./types.js";

/**
 * The networks that every task's prediction reads (through `deps`, each task
 * given as the nodes its head or its factors' heads read), keeping only those
 * no other such network reads: for Shared-Bottom its bottom, for MMoE and
 * OMoE the shared experts, for PLE the last level's shared experts. Empty
 * when the tasks share no network.
 */
export function lastSharedNetworks<N>(taskRoots: readonly (readonly N[])[], deps: (node: N) => readonly N[], isNetwork: (node: N) => boolean): N[] {
  if (taskRoots.length === 0) return [];
  const reach = taskRoots.map((roots) => closure(roots, deps));
  const shared = [...reach[0]!].filter((n) => isNetwork(n) && reach.every((r) => r.has(n)));
  const below = new Set<N>();
  for (const n of shared) for (const d of closure(deps(n), deps)) below.add(d);
  return shared.filter((n) => !below.has(n));
}

function closure<N>(roots: readonly N[], deps: (node: N) => readonly N[]): Set<N> {
  const seen = new Set<N>();
  const stack = [...roots];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    stack.push(...deps(n));
  }
  return seen;
}

/** The nodes a trained task's output reads: its head's input, or its factors' (recursively). */
function headInputs(tasks: readonly TaskIR[], task: TaskIR): string[] {
  if (task.head.op === "dense") return [task.head.input];
  return task.head.factors.flatMap((f) => headInputs(tasks, tasks.find((t) => t.name === f)!));
}

function nodeDeps(node: NodeIR): string[] {
  switch (node.op) {
    case "concat":
      return node.inputs;
    case "mlp":
      return [node.input];
    case "gate":
      return [node.input, ...node.experts];
  }
}

/** The mlp nodes GradNorm reads the gradients at, in IR order; empty when the trained tasks share none. */
export function gradNormNodes(ir: Pick<ModelIR, "nodes" | "tasks">): MlpNodeIR[] {
  const byName = new Map(ir.nodes.map((n) => [n.name, n]));
  const trained = ir.tasks.filter((t) => t.label !== null);
  const roots = trained.map((t) => headInputs(ir.tasks, t));
  const shared = new Set(lastSharedNetworks(roots, (name) => { const n = byName.get(name); return n ? nodeDeps(n) : []; }, (name) => byName.get(name)?.op === "mlp"));
  return ir.nodes.filter((n): n is MlpNodeIR => n.op === "mlp" && shared.has(n.name));
}

/**
 * W: the kernel of the last Dense layer of every copy of those nodes (an
 * expert group of n copies gives n kernels), by layer name as the layer plan
 * names them; GradNorm's gradient norm is taken over all of them at once.
 */
export function gradNormLayers(ir: Pick<ModelIR, "nodes" | "tasks">): string[] {
  return gradNormNodes(ir).flatMap((node) =>
    Array.from({ length: node.count }, (_, i) => names.mlpDense(names.mlpPrefix(node.role, node.name, i), node.units.length - 1)),
  );
}

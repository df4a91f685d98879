/**
 * The three multi-task architectures the MMoE paper compares, as spec text
 * over an input node `x` and two tasks. Both the synthetic and the census
 * experiment build their specs from here, so they compare the same shapes.
 *
 *   Shared-Bottom  expert bottom = mlp(x, [B]);   tower_k = mlp(bottom, [T])
 *   OMoE           expert e[N] = mlp(x, [U]);     one gate;   tower_k = mlp(g, [T])
 *   MMoE           expert e[N] = mlp(x, [U]);     a gate per task;   tower_k = mlp(g_k, [T])
 *
 * Text only, apart from architectures.ts (which builds models to count their
 * parameters), so the browser playground can generate the same specs.
 */
export const ARCHITECTURES = ["shared-bottom", "omoe", "mmoe"] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

export const ARCHITECTURE_LABELS: Readonly<Record<Architecture, string>> = {
  "shared-bottom": "Shared-Bottom",
  omoe: "OMoE",
  mmoe: "MMoE",
};

export interface ArchitectureShape {
  experts: number;
  expertUnits: number;
  towerUnits: number;
  /** Width of Shared-Bottom's one hidden layer. */
  bottomUnits: number;
}

/** A task: its name, its type, and the clauses after its tower (`label y1 loss mse`). */
export interface TaskTemplate {
  name: string;
  type: "binary" | "regression";
  clauses: string;
}

/** The network and task declarations of one architecture, reading the input node `x`. */
export function architectureDecls(arch: Architecture, shape: ArchitectureShape, tasks: readonly TaskTemplate[]): string {
  const lines: string[] = [];
  const towerInput = (task: string): string => (arch === "shared-bottom" ? "bottom" : arch === "omoe" ? "g" : `g_${task}`);
  if (arch === "shared-bottom") {
    lines.push(`## The bottom every task reads.`, `expert bottom = mlp(x, [${shape.bottomUnits}])`);
  } else {
    lines.push(`expert e[${shape.experts}] = mlp(x, [${shape.expertUnits}])`);
    if (arch === "omoe") lines.push(`## One gate, shared by all tasks.`, `gate g = softmax(x) over e`);
    else for (const t of tasks) lines.push(`gate g_${t.name} = softmax(x) over e`);
  }
  for (const t of tasks) lines.push(`tower ${t.name}_tower = mlp(${towerInput(t.name)}, [${shape.towerUnits}])`);
  for (const t of tasks) lines.push(`task ${t.name} : ${t.type} = ${t.name}_tower ${t.clauses}`);
  return lines.join("\n");
}

/** "8 experts of 16, a gate per task, towers of 8" and the like, for the reports. */
export function describeShape(arch: Architecture, shape: ArchitectureShape): string {
  const towers = `towers of ${shape.towerUnits}`;
  if (arch === "shared-bottom") return `one shared layer of ${shape.bottomUnits}, ${towers}`;
  const experts = `${shape.experts} experts of ${shape.expertUnits}`;
  return arch === "omoe" ? `${experts}, one gate, ${towers}` : `${experts}, a gate per task, ${towers}`;
}

export interface TrainSettings {
  lr: number;
  batch: number;
  epochs: number;
  seed: number;
}

export function trainBlock(t: TrainSettings): string {
  return `train {\n  optimizer: adam(lr: ${t.lr})\n  batch: ${t.batch}\n  epochs: ${t.epochs}\n  seed: ${t.seed}\n}`;
}

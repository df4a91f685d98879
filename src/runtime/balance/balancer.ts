/**
 * The task weights of train.weighting gradnorm and dwa, as state the train
 * step reads before each step and updates after it. The weights are plain
 * numbers, constants in the network's loss: GradNorm's weights learn from
 * their own objective (gradnorm.ts), DWA's are set once per epoch (dwa.ts).
 * The whole state is plain JSON, so a checkpoint carries it and a resumed run
 * continues with the same weights, L_i(0) and epoch averages.
 */
import type { ValidIR, WeightingIR } from "../../ir/types.js";
import { gradNormLayers } from "../../ir/gradnorm-layer.js";
import { dwaWeights } from "./dwa.js";
import { gradNormUpdate, initialGradNorm, type GradNormState } from "./gradnorm.js";

/** The weights an epoch ended with (DWA: those it trained with; GradNorm: after its last update). */
export interface EpochWeights {
  epoch: number;
  weights: Record<string, number>;
}

export type BalancerState =
  | { type: "gradnorm"; tasks: string[]; gradnorm: GradNormState; history: EpochWeights[] }
  /** averages: the last two finished epochs' mean losses, oldest first; sums and steps: the current epoch's so far. */
  | { type: "dwa"; tasks: string[]; averages: number[][]; sums: number[]; steps: number; history: EpochWeights[] };

export interface TaskBalancer {
  readonly type: BalancerState["type"];
  /** The trained tasks, in IR order. */
  readonly tasks: readonly string[];
  /** GradNorm's W: the Dense layers whose kernels the gradient norms are taken over; empty for DWA. */
  readonly normLayers: readonly string[];
  /** The weights the next step's loss uses, by task. */
  weights(): Record<string, number>;
  /** After a step: its unweighted task losses, and for GradNorm the gradient norms ||grad_W L_i||. */
  stepped(losses: Record<string, number>, norms?: Record<string, number>): void;
  /** At the end of an epoch (1-based): records its weights; DWA then sets the next epoch's. */
  epochEnded(epoch: number): void;
  /** The weights at the end of every epoch so far, those before a resumed checkpoint included. */
  readonly history: readonly EpochWeights[];
  exportState(): BalancerState;
  /** Puts back what exportState returned; throws when it belongs to another weighting or other tasks. */
  importState(state: BalancerState): void;
}

export type BalancedWeighting = Extract<WeightingIR, { type: string }>;

/** The balancer of `ir.train.weighting`, or null for fixed and uncertainty weighting. */
export function createBalancer(ir: ValidIR): TaskBalancer | null {
  const weighting = ir.train.weighting;
  if (typeof weighting !== "object") return null;
  const tasks = ir.tasks.filter((t) => t.label !== null).map((t) => t.name);
  return weighting.type === "gradnorm" ? gradNormBalancer(tasks, weighting, gradNormLayers(ir)) : dwaBalancer(tasks, weighting);
}

const byTask = (tasks: readonly string[], values: readonly number[]) => Object.fromEntries(tasks.map((t, i) => [t, values[i]!]));
const inOrder = (tasks: readonly string[], values: Record<string, number>, what: string) =>
  tasks.map((t) => {
    const v = values[t];
    if (v === undefined) throw new Error(`no ${what} for task '${t}'`);
    return v;
  });

function gradNormBalancer(tasks: string[], options: { alpha: number; lr: number }, normLayers: string[]): TaskBalancer {
  let state = initialGradNorm(tasks.length);
  let history: EpochWeights[] = [];
  return {
    type: "gradnorm",
    tasks,
    normLayers,
    weights: () => byTask(tasks, state.weights),
    stepped(losses, norms) {
      if (norms === undefined) throw new Error("gradnorm needs the step's gradient norms");
      state = gradNormUpdate(state, inOrder(tasks, losses, "loss"), inOrder(tasks, norms, "gradient norm"), options).state;
    },
    epochEnded(epoch) {
      history.push({ epoch, weights: byTask(tasks, state.weights) });
    },
    get history() {
      return history;
    },
    exportState: () => structuredClone({ type: "gradnorm", tasks, gradnorm: state, history }),
    importState(saved) {
      if (saved.type !== "gradnorm") throw new Error(`the saved task weights are ${saved.type}'s, not gradnorm's`);
      sameTasks(tasks, saved.tasks);
      state = structuredClone(saved.gradnorm);
      history = structuredClone(saved.history);
    },
  };
}

function dwaBalancer(tasks: string[], options: { temperature: number }): TaskBalancer {
  let averages: number[][] = [];
  let sums = tasks.map(() => 0);
  let steps = 0;
  let current = dwaWeights(averages, tasks.length, options.temperature);
  let history: EpochWeights[] = [];
  return {
    type: "dwa",
    tasks,
    normLayers: [],
    weights: () => byTask(tasks, current),
    stepped(losses) {
      inOrder(tasks, losses, "loss").forEach((l, i) => (sums[i]! += l));
      steps++;
    },
    epochEnded(epoch) {
      history.push({ epoch, weights: byTask(tasks, current) });
      averages = [...averages, sums.map((s) => s / Math.max(steps, 1))].slice(-2);
      sums = tasks.map(() => 0);
      steps = 0;
      current = dwaWeights(averages, tasks.length, options.temperature);
    },
    get history() {
      return history;
    },
    exportState: () => structuredClone({ type: "dwa", tasks, averages, sums, steps, history }),
    importState(saved) {
      if (saved.type !== "dwa") throw new Error(`the saved task weights are ${saved.type}'s, not dwa's`);
      sameTasks(tasks, saved.tasks);
      ({ averages, sums, steps, history } = structuredClone(saved));
      current = dwaWeights(averages, tasks.length, options.temperature);
    },
  };
}

function sameTasks(tasks: readonly string[], saved: readonly string[]): void {
  if (tasks.join("\0") !== saved.join("\0")) throw new Error(`the saved task weights are for tasks ${saved.join(", ")}, the model trains ${tasks.join(", ")}`);
}

/**
 * metrics.json's record of the task weights, beside the tasks' metrics: under
 * a key no task can have (names are identifiers), every epoch's weights.
 */
export function balancerJson(balancer: TaskBalancer | null): Record<string, unknown> {
  if (balancer === null) return {};
  return { [TASK_WEIGHTS_KEY]: { weighting: balancer.type, epochs: balancer.history } };
}

export const TASK_WEIGHTS_KEY = "task weights";

/**
 * The task losses of the fused step, as src/runtime/loss computes them
 * (compute-loss.ts, bce.ts, regression.ts, masked-mean.ts): per-row BCE from
 * logits (a product head's from the sum of its factors' log-sigmoids, with
 * log(1 - p) as a logsumexp of finite terms), squared error or Huber, each
 * task's mean over the rows its mask weighs (rows of weight 0 are left out,
 * a batch of total weight 0 gives 0), combined with the tasks' fixed weights.
 * Seeds the gradient of every logit or output the losses read.
 */
import type { TaskIR } from "../../ir/types.js";
import { logitLeaves } from "../loss/compute-loss.js";
import type { Buf } from "./buffers.js";

interface Term {
  readonly task: TaskIR;
  /** bce: the logits whose sigmoids multiply to the task's probability; mse/huber: the task's output. */
  readonly reads: readonly Buf[];
}

export interface LossValues {
  /** sum_t w_t L_t. */
  weighted: number;
  perTask: Record<string, number>;
}

export class FusedLoss {
  private readonly terms: Term[];
  private readonly logS: Float64Array;
  private readonly log1mS: Float64Array;
  /** Per read k of the current task, per row: d(row loss)/d(read k); and each row's loss. */
  private derivative: Float64Array[] = [];
  private rowLoss = new Float64Array(0);

  /** `tasks`: all of them (a product head's factors are other tasks); the labelled ones have loss terms. */
  constructor(tasks: readonly TaskIR[], bufOf: (tensor: string) => Buf, logits: Record<string, string>, outputs: Record<string, string>) {
    this.terms = tasks
      .filter((task) => task.label !== null)
      .map((task) => ({
        task,
        reads: task.loss.type === "bce" ? logitLeaves([...tasks], task).map((t) => bufOf(logits[t]!)) : [bufOf(outputs[task.name]!)],
      }));
    const most = Math.max(1, ...this.terms.map((t) => t.reads.length));
    this.logS = new Float64Array(most);
    this.log1mS = new Float64Array(most);
  }

  allocate(rows: number): void {
    const most = this.logS.length;
    this.derivative = Array.from({ length: most }, () => new Float64Array(rows));
    this.rowLoss = new Float64Array(rows);
  }

  /** The tasks' losses for `rows` rows; their gradients go into the Bufs they read. */
  run(rows: number, labels: Record<string, ArrayLike<number>>, masks: Record<string, ArrayLike<number>> | undefined): LossValues {
    const perTask: Record<string, number> = {};
    let weighted = 0;
    const rowLoss = this.rowLoss;
    for (const { task, reads } of this.terms) {
      const y = labels[task.name];
      if (y === undefined) throw new Error(`the batch has no labels for task '${task.name}'`);
      const mask = masks?.[task.name];
      if ((task.where !== null || task.sampleWeight !== undefined) && mask === undefined) {
        throw new Error(`task '${task.name}' has ${task.where !== null ? "'where'" : "a sample weight"}, but the batch has no mask for it`);
      }
      // Rounded to float32 row by row and summed in float32, as the plain path's kernels do, so a loss that
      // overflows there (a squared error past 3.4e38) overflows here too and the trainer stops on it alike.
      this.rowLosses(task, reads, rows, y);
      // maskedMean: sum(m l) / sum(m) over the rows of weight > 0 (0 when none); the plain mean without a mask.
      let weight = 0;
      if (mask === undefined) weight = rows;
      else for (let i = 0; i < rows; i++) if (mask[i]! > 0) weight += mask[i]!;
      let total = 0;
      if (mask === undefined) for (let i = 0; i < rows; i++) total = Math.fround(total + rowLoss[i]!);
      else {
        for (let i = 0; i < rows; i++) {
          const m = mask[i]! > 0 ? mask[i]! : 0;
          if (m !== 0) total = Math.fround(total + Math.fround(m * rowLoss[i]!));
        }
      }
      // Each read's gradient in its own loop over the rows (rows are independent, so the values are those
      // of one loop over rows and reads); a row of weight 0 gets 0, not 0 times a derivative that may be NaN.
      const scale = weight > 0 ? task.weight / weight : 0;
      for (let k = 0; k < reads.length; k++) {
        const buf = reads[k]!;
        const g = buf.grad!;
        const dk = this.derivative[k]!;
        const add = buf.gradSet;
        if (mask === undefined) {
          if (add) for (let i = 0; i < rows; i++) g[i] = g[i]! + scale * dk[i]!;
          else for (let i = 0; i < rows; i++) g[i] = scale * dk[i]!;
        } else {
          for (let i = 0; i < rows; i++) {
            const m = mask[i]! > 0 ? mask[i]! : 0;
            const d = m === 0 ? 0 : scale * m * dk[i]!;
            g[i] = add ? g[i]! + d : d;
          }
        }
      }
      for (const buf of reads) buf.gradSet = true;
      const mean = Math.fround(weight > 0 ? total / weight : 0);
      perTask[task.name] = mean;
      weighted = Math.fround(weighted + Math.fround(task.weight * mean));
    }
    return { weighted, perTask };
  }

  /** Each row's loss, rounded to float32, into rowLoss; its derivative by each read into `derivative`. One loop per loss kind. */
  private rowLosses(task: TaskIR, reads: readonly Buf[], rows: number, y: ArrayLike<number>): void {
    const out = this.rowLoss;
    const d0 = this.derivative[0]!;
    const v = reads[0]!.value;
    switch (task.loss.type) {
      case "bce": {
        if (reads.length > 1) {
          for (let i = 0; i < rows; i++) out[i] = Math.fround(this.productBce(reads, i, y[i]!));
          return;
        }
        for (let i = 0; i < rows; i++) {
          const l = v[i]!;
          const yi = y[i]!;
          d0[i] = 1 / (1 + Math.exp(-l)) - yi;
          out[i] = Math.fround(Math.max(l, 0) - l * yi + Math.log1p(Math.exp(-Math.abs(l))));
        }
        return;
      }
      case "mse": {
        for (let i = 0; i < rows; i++) {
          const e = v[i]! - y[i]!;
          d0[i] = 2 * e;
          out[i] = Math.fround(e * e);
        }
        return;
      }
      case "huber": {
        const delta = task.loss.delta;
        for (let i = 0; i < rows; i++) {
          const e = v[i]! - y[i]!;
          const abs = Math.abs(e);
          const q = Math.min(abs, delta);
          d0[i] = abs <= delta ? e : delta * Math.sign(e);
          out[i] = Math.fround(0.5 * q * q + delta * (abs - q));
        }
        return;
      }
    }
  }

  /** Row i's BCE on the product of the reads' sigmoids; its derivative by each read goes to `derivative`. */
  private productBce(reads: readonly Buf[], i: number, y: number): number {
    const d = this.derivative;
    const k = reads.length;
    let logP = 0;
    for (let j = 0; j < k; j++) {
      const l = reads[j]!.value[i]!;
      // log sigmoid(±l) = min(±l, 0) - log1p(exp(-|l|)): one log1p(exp) for both.
      const soft = Math.log1p(Math.exp(-Math.abs(l)));
      this.logS[j] = Math.min(l, 0) - soft;
      this.log1mS[j] = Math.min(-l, 0) - soft;
      logP += this.logS[j]!;
    }
    // log(1 - p) = logsumexp_j [ sum_{m<j} log s_m + log(1 - s_j) ] (bce.ts).
    let prefix = 0;
    let max = -Infinity;
    for (let j = 0; j < k; j++) {
      max = Math.max(max, prefix + this.log1mS[j]!);
      prefix += this.logS[j]!;
    }
    let sum = 0;
    prefix = 0;
    for (let j = 0; j < k; j++) {
      sum += Math.exp(prefix + this.log1mS[j]! - max);
      prefix += this.logS[j]!;
    }
    const log1mP = max + Math.log(sum);
    // dL/dl_j = (1 - s_j) ((1 - y) p / (1 - p) - y).
    const odds = Math.exp(logP - log1mP);
    for (let j = 0; j < k; j++) d[j]![i] = Math.exp(this.log1mS[j]!) * ((1 - y) * odds - y);
    return -(y * logP + (1 - y) * log1mP);
  }
}

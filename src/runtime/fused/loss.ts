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

/** log sigmoid(x) = min(x, 0) - log1p(exp(-|x|)). */
const logSigmoid = (x: number) => Math.min(x, 0) - Math.log1p(Math.exp(-Math.abs(x)));

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
    for (const { task, reads } of this.terms) {
      const y = labels[task.name];
      if (y === undefined) throw new Error(`the batch has no labels for task '${task.name}'`);
      const mask = masks?.[task.name];
      if ((task.where !== null || task.sampleWeight !== undefined) && mask === undefined) {
        throw new Error(`task '${task.name}' has ${task.where !== null ? "'where'" : "a sample weight"}, but the batch has no mask for it`);
      }
      // Rounded to float32 row by row and summed in float32, as the plain path's kernels do, so a loss that
      // overflows there (a squared error past 3.4e38) overflows here too and the trainer stops on it alike.
      for (let i = 0; i < rows; i++) this.rowLoss[i] = Math.fround(this.row(task, reads, i, y[i]!));
      // maskedMean: sum(m l) / sum(m) over the rows of weight > 0 (0 when none); the plain mean without a mask.
      let weight = 0;
      if (mask === undefined) weight = rows;
      else for (let i = 0; i < rows; i++) if (mask[i]! > 0) weight += mask[i]!;
      let total = 0;
      const scale = weight > 0 ? task.weight / weight : 0;
      for (let i = 0; i < rows; i++) {
        const m = mask === undefined ? 1 : mask[i]! > 0 ? mask[i]! : 0;
        if (m !== 0) total = Math.fround(total + Math.fround(m * this.rowLoss[i]!));
        const c = scale * m;
        reads.forEach((buf, k) => {
          const g = buf.grad!;
          const d = m === 0 ? 0 : c * this.derivative[k]![i]!;
          g[i] = buf.gradSet ? g[i]! + d : d;
        });
      }
      for (const buf of reads) buf.gradSet = true;
      const mean = Math.fround(weight > 0 ? total / weight : 0);
      perTask[task.name] = mean;
      weighted = Math.fround(weighted + Math.fround(task.weight * mean));
    }
    return { weighted, perTask };
  }

  /** Row i's loss; its derivative by each read goes to `derivative`. */
  private row(task: TaskIR, reads: readonly Buf[], i: number, y: number): number {
    const d = this.derivative;
    switch (task.loss.type) {
      case "bce": {
        if (reads.length === 1) {
          const l = reads[0]!.value[i]!;
          d[0]![i] = 1 / (1 + Math.exp(-l)) - y;
          return Math.max(l, 0) - l * y + Math.log1p(Math.exp(-Math.abs(l)));
        }
        const k = reads.length;
        let logP = 0;
        for (let j = 0; j < k; j++) {
          const l = reads[j]!.value[i]!;
          this.logS[j] = logSigmoid(l);
          this.log1mS[j] = logSigmoid(-l);
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
      case "mse": {
        const e = reads[0]!.value[i]! - y;
        d[0]![i] = 2 * e;
        return e * e;
      }
      case "huber": {
        const delta = task.loss.delta;
        const e = reads[0]!.value[i]! - y;
        const abs = Math.abs(e);
        const q = Math.min(abs, delta);
        d[0]![i] = abs <= delta ? e : delta * Math.sign(e);
        return 0.5 * q * q + delta * (abs - q);
      }
    }
  }
}

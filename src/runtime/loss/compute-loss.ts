/**
 * The training objective: each trained task's mean loss (over its `where`
 * rows when it has one; over every row, reweighted, with `debias`:
 * debias.ts), combined with fixed task weights, learned uncertainty weights,
 * or the step's weights of a balancer (gradnorm, dwa: src/runtime/balance),
 * which enter as constants, plus AITM's calibrators at their fixed weights
 * (calibrator.ts). Latent tasks (label null) have no term; they learn through
 * the product tasks that use them.
 */
import * as tf from "#tfjs";
import type { ValidIR, TaskIR } from "../../ir/types.js";
import { bceWithLogitProduct } from "./bce.js";
import { calibratorTerms } from "./calibrator.js";
import { debiasedLoss } from "./debias.js";
import { maskedMean } from "./masked-mean.js";
import { huber, squaredError } from "./regression.js";
import type { LossBatch, LossResult, TaskOutputs } from "./types.js";
import { uncertaintyTerm, type UncertaintyWeights } from "./uncertainty.js";

/** Tensors must be used inside a tidy or disposed by the caller (total, perTask). */
export function computeLoss(
  ir: ValidIR,
  outputs: TaskOutputs,
  batch: LossBatch,
  uncertainty?: UncertaintyWeights,
  balanced?: Record<string, number>,
): LossResult {
  const useUncertainty = ir.train.weighting === "uncertainty";
  if (useUncertainty && uncertainty === undefined) {
    throw new Error("train.weighting is 'uncertainty': pass the weights from createUncertaintyWeights(ir)");
  }
  const weighting = ir.train.weighting;
  if (typeof weighting === "object" && balanced === undefined) {
    throw new Error(`train.weighting is '${weighting.type}': pass the step's task weights (src/runtime/balance)`);
  }
  const { total, perTask } = tf.tidy(() => {
    const perTask: Record<string, tf.Scalar> = {};
    const terms: tf.Scalar[] = [];
    for (const task of ir.tasks) {
      if (task.label === null) continue;
      const loss = taskLoss(ir, task, outputs, batch);
      perTask[task.name] = loss;
      if (useUncertainty) {
        const s = uncertainty!.variables[task.name];
        if (s === undefined) throw new Error(`no log-variance for task '${task.name}'`);
        terms.push(uncertaintyTerm(task.loss, s, loss));
      } else {
        terms.push(tf.mul(balanced?.[task.name] ?? task.weight, loss));
      }
    }
    terms.push(...calibratorTerms(ir, outputs));
    const total = (terms.length === 0 ? tf.scalar(0) : tf.addN(terms)) as tf.Scalar;
    return { total, perTask };
  });
  return { total, perTask, logVariances: useUncertainty ? uncertainty!.variables : null };
}

function taskLoss(ir: ValidIR, task: TaskIR, outputs: TaskOutputs, batch: LossBatch): tf.Scalar {
  const label = batch.labels[task.name];
  if (label === undefined) throw new Error(`the batch has no labels for task '${task.name}'`);
  const rawMask = batch.masks?.[task.name];
  if ((task.where !== null || task.sampleWeight !== undefined) && rawMask === undefined) {
    throw new Error(`task '${task.name}' has ${task.where !== null ? "'where'" : "a sample weight"}, but the batch has no mask for it`);
  }
  const y = column(label, `labels of '${task.name}'`);
  const mask = rawMask === undefined ? null : column(rawMask, `mask of '${task.name}'`);
  let perRow: tf.Tensor;
  switch (task.loss.type) {
    case "bce": {
      // The gate (src/ir/validate.ts) saw to it that a bce task is binary, and so are all its factors.
      const logits = logitLeaves(ir.tasks, task).map((name) => {
        const l = outputs.logits[name];
        if (l === undefined) throw new Error(`no logit for task '${name}' (needed by '${task.name}')`);
        return column(l, `logit of '${name}'`);
      });
      perRow = bceWithLogitProduct(y, logits);
      break;
    }
    case "mse":
      perRow = squaredError(y, taskValue(outputs, task));
      break;
    case "huber":
      perRow = huber(y, taskValue(outputs, task), task.loss.delta);
      break;
  }
  const size = y.shape[0];
  if (perRow.shape[0] !== size || (mask !== null && mask.shape[0] !== size)) {
    throw new Error(`task '${task.name}': labels, outputs and mask disagree on the batch size`);
  }
  if (task.debias !== undefined) {
    // The gate (src/ir/validate.ts) saw to it that a debiased task has a mask, a binary propensity and a regression imputation.
    const d = task.debias;
    return debiasedLoss({
      perRow: perRow as tf.Tensor1D,
      mask: mask!,
      propensity: column(need(outputs.values, d.propensity, task.name), `probability of '${d.propensity}'`),
      imputed: d.type === "dr" ? column(need(outputs.values, d.imputation, task.name), `output of '${d.imputation}'`) : null,
      clip: d.clip,
    });
  }
  return maskedMean(perRow as tf.Tensor1D, mask);
}

function need(values: Record<string, tf.Tensor>, name: string, user: string): tf.Tensor {
  const v = values[name];
  if (v === undefined) throw new Error(`no output for task '${name}' (needed by '${user}')`);
  return v;
}

function taskValue(outputs: TaskOutputs, task: TaskIR): tf.Tensor1D {
  const v = outputs.values[task.name];
  if (v === undefined) throw new Error(`no output for task '${task.name}'`);
  return column(v, `output of '${task.name}'`);
}

/**
 * The dense binary tasks whose sigmoids multiply to `task`'s probability:
 * itself for a dense head, its factors' leaves (recursively) for a product.
 */
export function logitLeaves(tasks: TaskIR[], task: TaskIR): string[] {
  if (task.head.op === "dense") return [task.name];
  return task.head.factors.flatMap((name) => logitLeaves(tasks, tasks.find((t) => t.name === name)!));
}

/** [batch] or [batch, 1] -> float32 [batch]. */
function column(t: tf.Tensor, what: string): tf.Tensor1D {
  if (t.rank > 2 || (t.rank === 2 && t.shape[1] !== 1) || t.rank === 0) {
    throw new Error(`${what}: expected shape [batch] or [batch, 1], got [${t.shape.join(", ")}]`);
  }
  const flat = t.rank === 1 ? t : tf.reshape(t, [-1]);
  return (flat.dtype === "float32" ? flat : tf.cast(flat, "float32")) as tf.Tensor1D;
}

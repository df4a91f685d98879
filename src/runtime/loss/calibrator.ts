/**
 * AITM's behavioural-expectation calibrator (Xi et al., KDD 2021): a later
 * step of a funnel cannot be likelier than the step before it (a purchase
 * needs a click), so a task with `after FROM calibrate ALPHA` adds
 *
 *   ALPHA * mean over the batch's rows of max(p_task - p_from, 0)
 *
 * to the objective. It is over every row, `where` or not: the inequality
 * holds on the entire impression space. Gradients reach both tasks. The
 * paper's code sums over the batch instead of averaging, which ties ALPHA to
 * the batch size; the mean keeps one ALPHA meaning the same at any batch.
 */
import * as tf from "#tfjs";
import type { ValidIR } from "../../ir/types.js";
import type { TaskOutputs } from "./types.js";

/** One scalar per task with a calibrator (calibrate > 0); call inside a tidy. */
export function calibratorTerms(ir: ValidIR, outputs: TaskOutputs): tf.Scalar[] {
  const terms: tf.Scalar[] = [];
  for (const task of ir.tasks) {
    const transfer = task.transfer;
    if (transfer === undefined || transfer.calibrate === 0) continue;
    const p = probability(outputs, task.name);
    const before = probability(outputs, transfer.from);
    terms.push(tf.mul(transfer.calibrate, tf.mean(tf.relu(tf.sub(p, before)))));
  }
  return terms;
}

function probability(outputs: TaskOutputs, task: string): tf.Tensor1D {
  const value = outputs.values[task];
  if (value === undefined) throw new Error(`no output for task '${task}' (needed by a calibrator)`);
  return tf.reshape(value, [-1]) as tf.Tensor1D;
}

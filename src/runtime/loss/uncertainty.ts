/**
 * Kendall, Gal & Cipolla (2018), "Multi-task learning using uncertainty to
 * weigh losses", with one trainable log-variance s_k = log sigma_k^2 per
 * trained task, initialised to 0 (every task starts at unit variance).
 *
 * The exact terms are the paper's negative log-likelihoods, not the common
 * simplification exp(-s) L + s:
 *   regression (Gaussian; mse, huber):     0.5 * exp(-s) * L + 0.5 * s
 *   classification (Bernoulli/softmax; bce):     exp(-s) * L + 0.5 * s
 * The regression 1/2 comes from the Gaussian density's 1/(2 sigma^2); the
 * classification likelihood scales the logits by 1/sigma^2, which to the
 * paper's approximation multiplies the cross-entropy by 1/sigma^2 without a
 * 1/2. Both share the regulariser log sigma = s/2. The optimum in s is
 * s = log L (regression) and s = log 2L (classification), so the effective
 * weight is 1/(2L) for both kinds: they end up balanced the same way.
 * Huber counts as regression; its small-error branch already has the 0.5,
 * which only shifts the optimal s by log 0.5 and not the balance.
 *
 * Under uncertainty weighting the learned weights replace task.weight.
 */
import * as tf from "#tfjs";
import type { LossIR, ValidIR } from "../../ir/types.js";

export interface UncertaintyWeights {
  /** s_k by task name, for every task with a label. */
  readonly variables: Record<string, tf.Variable>;
  dispose(): void;
}

let instances = 0;

export function createUncertaintyWeights(ir: ValidIR): UncertaintyWeights {
  // TF.js variable names are global; a counter lets several models coexist.
  const scope = `uncertainty_${instances++}`;
  const variables: Record<string, tf.Variable> = {};
  for (const task of ir.tasks) {
    if (task.label === null) continue;
    variables[task.name] = tf.variable(tf.scalar(0), true, `${scope}/logvar_${task.name.replace(/[^A-Za-z0-9_.-]/g, "_")}`);
  }
  return {
    variables,
    dispose: () => tf.dispose(Object.values(variables)),
  };
}

/** One task's contribution to the total under uncertainty weighting. */
export function uncertaintyTerm(loss: LossIR, logVariance: tf.Tensor, taskLoss: tf.Scalar): tf.Scalar {
  return tf.tidy(() => {
    const precision = tf.exp(tf.neg(logVariance));
    const dataScale = loss.type === "bce" ? 1 : 0.5;
    return tf.add(tf.mul(dataScale, tf.mul(precision, taskLoss)), tf.mul(0.5, logVariance)) as tf.Scalar;
  });
}

/** What the loss reads from a forward pass and from a batch, and what it returns. */
import type * as tf from "@tensorflow/tfjs";

export interface TaskOutputs {
  /** Every task's probability (binary) or value (regression), shape [batch] or [batch, 1]. */
  values: Record<string, tf.Tensor>;
  /** Every dense binary task's logit, shape [batch] or [batch, 1]. */
  logits: Record<string, tf.Tensor>;
}

export interface LossBatch {
  /** Per trained task (label !== null): 0/1 for binary tasks, the target for regression. */
  labels: Record<string, tf.Tensor>;
  /**
   * Per task with `where` or a sample weight (required for those): each row's
   * weight in the task's loss, sum(m l) / sum(m): 0 outside `where`, else the
   * sample weight (1 without one). A mask given for another task is honoured too.
   */
  masks?: Record<string, tf.Tensor>;
}

export interface LossResult {
  /** The scalar to minimise. */
  total: tf.Scalar;
  /** Unweighted mean loss L_k of every trained task, for logging. */
  perTask: Record<string, tf.Scalar>;
  /** The log-variances s_k under uncertainty weighting; null with fixed weights. */
  logVariances: Record<string, tf.Variable> | null;
}

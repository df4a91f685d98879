import * as tf from "@tensorflow/tfjs";

/**
 * Mean of `perRow` over the rows where `mask` is 1 (all rows without a mask).
 * Unmasked rows are selected out rather than multiplied by 0, so a NaN there
 * cannot leak in; a batch with no masked rows gives 0 (sum / max(count, 1)).
 */
export function maskedMean(perRow: tf.Tensor1D, mask: tf.Tensor1D | null): tf.Scalar {
  return tf.tidy(() => {
    if (mask === null) return tf.mean(perRow);
    const keep = tf.greater(mask, 0.5);
    const total = tf.sum(tf.where(keep, perRow, tf.zerosLike(perRow)));
    const count = tf.sum(tf.cast(keep, "float32"));
    return tf.div(total, tf.maximum(count, 1)) as tf.Scalar;
  });
}

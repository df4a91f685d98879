import * as tf from "#tfjs";

/**
 * The mean of `perRow` weighted by `mask`, sum(m l) / sum(m) (the plain mean
 * without a mask). A mask is 0/1 under `where`, so this is the mean over the
 * selected rows, or each row's sample weight. Rows of weight 0 are selected
 * out rather than multiplied by 0, so a NaN there cannot leak in; a batch
 * whose weights sum to 0 gives 0, with finite gradients.
 */
export function maskedMean(perRow: tf.Tensor1D, mask: tf.Tensor1D | null): tf.Scalar {
  return tf.tidy(() => {
    if (mask === null) return tf.mean(perRow);
    const keep = tf.greater(mask, 0);
    const total = tf.sum(tf.where(keep, tf.mul(mask, perRow), tf.zerosLike(perRow)));
    // Built from the mask alone, so no gradient flows through the comparison.
    const weight = tf.sum(tf.where(keep, mask, tf.zerosLike(mask)));
    return tf.div(total, tf.where(tf.greater(weight, 0), weight, tf.onesLike(weight))) as tf.Scalar;
  });
}

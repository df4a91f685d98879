/** Per-row regression losses. */
import * as tf from "#tfjs";

export function squaredError(targets: tf.Tensor, predictions: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.square(tf.sub(predictions, targets)));
}

/**
 * Huber as in Keras: 0.5 e^2 for |e| <= delta, delta * (|e| - 0.5 delta)
 * beyond. Written as 0.5 q^2 + delta (|e| - q) with q = min(|e|, delta), which
 * is the same function without a data-dependent branch.
 */
export function huber(targets: tf.Tensor, predictions: tf.Tensor, delta: number): tf.Tensor {
  if (!(delta > 0)) throw new Error(`huber delta must be > 0, got ${delta}`);
  return tf.tidy(() => {
    const abs = tf.abs(tf.sub(predictions, targets));
    const quadratic = tf.minimum(abs, delta);
    return tf.add(tf.mul(0.5, tf.square(quadratic)), tf.mul(delta, tf.sub(abs, quadratic)));
  });
}

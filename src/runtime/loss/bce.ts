/**
 * Binary cross-entropy computed from logits, never from probabilities, so a
 * saturated sigmoid (p rounding to 0 or 1 in float32) cannot produce log(0).
 * All functions return per-row losses; reduction is the caller's.
 */
import * as tf from "#tfjs";

/** log sigmoid(x) = min(x, 0) - log1p(exp(-|x|)): exp never overflows. */
export function logSigmoid(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.sub(tf.minimum(x, 0), tf.log1p(tf.exp(tf.neg(tf.abs(x))))));
}

/** BCE(y, sigmoid(l)) = max(l, 0) - l*y + log1p(exp(-|l|)). */
export function bceWithLogits(labels: tf.Tensor, logits: tf.Tensor): tf.Tensor {
  return tf.tidy(() =>
    tf.add(tf.sub(tf.relu(logits), tf.mul(logits, labels)), tf.log1p(tf.exp(tf.neg(tf.abs(logits))))),
  );
}

/**
 * BCE(y, p) for p = prod_k sigmoid(l_k) (ESMM's pCTCVR = pCTR * pCVR).
 *
 * log p = sum_k log sigmoid(l_k). For log(1 - p), instead of
 * log(-expm1(log p)) (which still hits log(0) once every l_k is so large
 * that log p rounds to 0), telescope
 *   1 - prod_k s_k = sum_k (prod_{j<k} s_j) (1 - s_k)
 * so that log(1 - p) = logsumexp_k [ sum_{j<k} log s_j + log sigmoid(-l_k) ],
 * a logsumexp of finite terms: exact, and finite for any finite logits.
 */
export function bceWithLogitProduct(labels: tf.Tensor, logits: tf.Tensor[]): tf.Tensor {
  if (logits.length === 0) throw new Error("a product needs at least one factor");
  if (logits.length === 1) return bceWithLogits(labels, logits[0]!);
  return tf.tidy(() => {
    const logS = logits.map((l) => logSigmoid(l));
    const logOneMinusS = logits.map((l) => logSigmoid(tf.neg(l)));
    const logP = tf.addN(logS);
    const terms: tf.Tensor[] = [logOneMinusS[0]!];
    let prefix = logS[0]!;
    for (let k = 1; k < logits.length; k++) {
      terms.push(tf.add(prefix, logOneMinusS[k]!));
      prefix = tf.add(prefix, logS[k]!);
    }
    const logOneMinusP = tf.logSumExp(tf.stack(terms, -1), -1);
    return tf.neg(tf.add(tf.mul(labels, logP), tf.mul(tf.sub(1, labels), logOneMinusP)));
  });
}

/**
 * ESCM²'s counterfactual CVR risk (Wang et al., "ESCM²: Entire Space
 * Counterfactual Multi-Task Model for Post-Click Conversion Rate Estimation",
 * SIGIR 2022), as the loss of a binary task with `where` and `debias`.
 *
 * With N the rows of the batch (every impression, not only the clicked ones),
 * o_i the task's `where` mask (the click), e_i the task's per-row loss (BCE
 * against the label) and p_i = max(sg(p̂_i), clip) the propensity task's
 * probability, detached (sg: stop-gradient) and clipped below:
 *
 *   ips:  L = (1/N) Σ_i o_i e_i / p_i
 *   dr:   L = (1/N) Σ_i [ ê_i + o_i (e_i − ê_i) / p_i ]      (the DR risk)
 *         + (1/N) Σ_i o_i (sg(e_i) − ê_i)² / p_i              (the imputation loss)
 *
 * ê_i is the imputation task's output. The propensity is detached: its task
 * learns from its own label (and from any product it is a factor of), never
 * from the CVR loss, since dividing by p̂ would otherwise reward inflating
 * pCTR on clicked rows (PaddleRec's reference detaches it for IPS). In the
 * imputation loss e is detached too: that loss fits ê to the observed losses
 * and must not train the CVR tower to make its loss match ê (with e live, its
 * gradient o (1 + 2 (e − ê)) / p turns negative where ê > e + 1/2, and on the
 * ESMM experiment pCVR came out 2.8 times the true mean). Unclicked rows are
 * selected out (never multiplied by 0), so a non-finite loss there cannot
 * leak in. All tensors are [batch]; the result is a scalar.
 */
import * as tf from "#tfjs";

/** The identity whose gradient is zero. */
const stopGradient = tf.customGrad((x) => ({ value: tf.clone(x as tf.Tensor), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) })) as (x: tf.Tensor) => tf.Tensor;

export interface DebiasInputs {
  /** e_i: the task's per-row loss, on every row (its value on unselected rows is never used). */
  perRow: tf.Tensor1D;
  /** o_i: 1 on the rows the task's `where` selects. */
  mask: tf.Tensor1D;
  /** p̂_i: the propensity task's probability. */
  propensity: tf.Tensor1D;
  /** ê_i: the imputation task's output, for `dr`; null for `ips`. */
  imputed: tf.Tensor1D | null;
  clip: number;
}

export function debiasedLoss({ perRow, mask, propensity, imputed, clip }: DebiasInputs): tf.Scalar {
  if (!(clip > 0 && clip <= 1)) throw new Error(`the propensity clip must be in (0, 1], got ${clip}`);
  return tf.tidy(() => {
    const n = perRow.shape[0];
    const selected = tf.greater(mask, 0.5);
    const p = tf.maximum(stopGradient(propensity), clip);
    const zero = tf.zerosLike(perRow);
    const residual = imputed === null ? perRow : tf.sub(perRow, imputed);
    const weighted = tf.where(selected, tf.div(residual, p), zero);
    let total = tf.sum(weighted);
    if (imputed !== null) {
      const imputation = tf.where(selected, tf.div(tf.square(tf.sub(stopGradient(perRow), imputed)), p), zero);
      total = tf.addN([total, tf.sum(imputed), tf.sum(imputation)]);
    }
    return tf.div(total, Math.max(n, 1)) as tf.Scalar;
  });
}

import { checkLengths, selected } from "./select.js";

/**
 * Probabilities are clipped to [LOG_LOSS_EPSILON, 1 - LOG_LOSS_EPSILON] before
 * the logarithm, so one confident mistake costs at most -ln(1e-7) ~ 16.1
 * instead of Infinity. tfjs-layers' binaryCrossentropy (like Keras) clips by
 * the same 1e-7 on float32 back ends, so the metric agrees with the loss.
 */
export const LOG_LOSS_EPSILON = 1e-7;

/**
 * Mean binary cross-entropy -[y ln p + (1 - y) ln(1 - p)] over the selected
 * rows, p clipped (see LOG_LOSS_EPSILON). Labels may be soft, in [0, 1].
 * NaN when no row is selected.
 */
export function logLoss(p: ArrayLike<number>, y: ArrayLike<number>, mask?: ArrayLike<number>): number {
  checkLengths("logLoss", p, y, mask);
  let sum = 0;
  let n = 0;
  for (let i = 0; i < p.length; i++) {
    if (!selected("logLoss", mask, i)) continue;
    const label = y[i]!;
    if (!(label >= 0 && label <= 1)) throw new RangeError(`logLoss: labels must be in [0, 1], got ${label} at row ${i}`);
    const prob = Math.min(1 - LOG_LOSS_EPSILON, Math.max(LOG_LOSS_EPSILON, p[i]!));
    if (Number.isNaN(prob)) throw new RangeError(`logLoss: prediction is NaN at row ${i}`);
    sum -= label * Math.log(prob) + (1 - label) * Math.log(1 - prob);
    n++;
  }
  return n === 0 ? NaN : sum / n;
}

/** Mean of f(prediction - label) over the selected rows; NaN when none is. */
function meanOfErrors(
  what: string,
  pred: ArrayLike<number>,
  label: ArrayLike<number>,
  mask: ArrayLike<number> | undefined,
  f: (e: number) => number,
): number {
  checkLengths(what, pred, label, mask);
  let sum = 0;
  let n = 0;
  for (let i = 0; i < pred.length; i++) {
    if (!selected(what, mask, i)) continue;
    sum += f(pred[i]! - label[i]!);
    n++;
  }
  return n === 0 ? NaN : sum / n;
}

/** Root mean squared error over the selected rows; NaN when none is. */
export function rmse(pred: ArrayLike<number>, label: ArrayLike<number>, mask?: ArrayLike<number>): number {
  return Math.sqrt(meanOfErrors("rmse", pred, label, mask, (e) => e * e));
}

/** Mean absolute error over the selected rows; NaN when none is. */
export function mae(pred: ArrayLike<number>, label: ArrayLike<number>, mask?: ArrayLike<number>): number {
  return meanOfErrors("mae", pred, label, mask, Math.abs);
}

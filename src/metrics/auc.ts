import { checkLengths, selected } from "./select.js";

/**
 * Exact area under the ROC curve: the probability that a random positive
 * scores above a random negative, ties counting one half. This is the
 * Mann-Whitney U statistic over (positives x negatives), the same value as the
 * rank-sum formula with tied scores given their average rank.
 *
 * Labels must be 0 or 1 and scores must not be NaN (both throw a RangeError);
 * infinite scores are fine. With a mask only rows where mask == 1 count.
 *
 * Returns NaN when the selected rows hold only one class (or none): the AUC
 * is then undefined, and NaN keeps that visible instead of passing for 0.5.
 *
 * O(n log n): positives and negatives are sorted separately (native typed
 * array sorts) and merged once.
 */
export function auc(scores: ArrayLike<number>, labels: ArrayLike<number>, mask?: ArrayLike<number>): number {
  checkLengths("auc", scores, labels, mask);
  let nPos = 0;
  let nNeg = 0;
  for (let i = 0; i < labels.length; i++) {
    if (!selected("auc", mask, i)) continue;
    const y = labels[i]!;
    if (y === 1) nPos++;
    else if (y === 0) nNeg++;
    else throw new RangeError(`auc: labels must be 0 or 1, got ${y} at row ${i}`);
    if (Number.isNaN(scores[i]!)) throw new RangeError(`auc: score is NaN at row ${i}`);
  }
  if (nPos === 0 || nNeg === 0) return NaN;

  const pos = new Float64Array(nPos);
  const neg = new Float64Array(nNeg);
  let p = 0;
  let q = 0;
  for (let i = 0; i < labels.length; i++) {
    if (!selected("auc", mask, i)) continue;
    // `+ 0` turns -0 into +0: the typed array sort orders -0 before +0, and the merge below must see them as one value.
    const s = scores[i]! + 0;
    if (labels[i] === 1) pos[p++] = s;
    else neg[q++] = s;
  }
  return aucOfSorted(pos.sort(), neg.sort());
}

/** A binary task's predictions split by label (0 or 1) and sorted ascending, as AUC and the calibration bins both read them. */
export interface SortedByClass {
  positives: Float64Array;
  negatives: Float64Array;
}

/**
 * `scores` split by `labels` (0 or 1, as an accumulator checks them) and
 * sorted by the typed arrays' native sort; -0 is read as +0, so that equal
 * scores sort as one value.
 */
export function sortedByClass(scores: ArrayLike<number>, labels: ArrayLike<number>): SortedByClass {
  let count = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === 1) count++;
  const positives = new Float64Array(count);
  const negatives = new Float64Array(labels.length - count);
  for (let i = 0, p = 0, q = 0; i < labels.length; i++) {
    if (labels[i] === 1) positives[p++] = scores[i]! + 0;
    else negatives[q++] = scores[i]! + 0;
  }
  return { positives: positives.sort(), negatives: negatives.sort() };
}

/** AUC from ascending positive and negative scores; NaN when either is empty. */
export function aucOfSorted(pos: Float64Array, neg: Float64Array): number {
  if (pos.length === 0 || neg.length === 0) return NaN;
  // Pairs are counted with integers and halves well below 2^53, so the sum is exact.
  let wins = 0;
  let below = 0; // negatives strictly below the current positive score
  let i = 0;
  while (i < pos.length) {
    const v = pos[i]!;
    let posTied = 0;
    while (i < pos.length && pos[i] === v) {
      posTied++;
      i++;
    }
    while (below < neg.length && neg[below]! < v) below++;
    let end = below;
    while (end < neg.length && neg[end] === v) end++;
    wins += posTied * (below + (end - below) / 2);
    below = end;
  }
  return wins / (pos.length * neg.length);
}

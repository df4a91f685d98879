import { auc } from "./auc.js";

/** Group AUC and which groups it was computed over. */
export interface GroupedAuc {
  /** Row-weighted mean of the groups' AUCs; NaN when no group holds both classes. */
  gauc: number;
  /** Groups with at least one row. */
  groups: number;
  /** Groups with one class only: their AUC is undefined, so they are left out. */
  skippedGroups: number;
  /** Rows of the groups the mean is over. */
  rows: number;
}

/**
 * GAUC: the exact AUC (ties counting one half, see auc.ts) of each group,
 * averaged with each group weighted by its rows: Σ n_g AUC_g / Σ n_g over the
 * groups that hold both classes. `groups[i]` is row i's group as a small
 * whole number (0, 1, 2, ...: an index into the distinct group values).
 */
export function groupedAuc(scores: Float64Array, labels: Float64Array, groups: Uint32Array): GroupedAuc {
  if (scores.length !== labels.length || groups.length !== scores.length) {
    throw new RangeError(`groupedAuc: ${scores.length} predictions, ${labels.length} labels and ${groups.length} groups differ in length`);
  }
  // Counting sort by group: O(n + groups), and rows keep their order inside a group.
  let size = 0;
  for (let i = 0; i < groups.length; i++) size = Math.max(size, groups[i]! + 1);
  const starts = new Uint32Array(size + 1);
  for (let i = 0; i < groups.length; i++) starts[groups[i]! + 1]!++;
  for (let g = 0; g < size; g++) starts[g + 1]! += starts[g]!;
  const next = starts.slice(0, size);
  const s = new Float64Array(scores.length);
  const y = new Float64Array(scores.length);
  for (let i = 0; i < groups.length; i++) {
    const at = next[groups[i]!]!++;
    s[at] = scores[i]!;
    y[at] = labels[i]!;
  }
  let weighted = 0;
  let rows = 0;
  let nonEmpty = 0;
  let skipped = 0;
  for (let g = 0; g < size; g++) {
    const [from, to] = [starts[g]!, starts[g + 1]!];
    if (from === to) continue;
    nonEmpty++;
    const value = auc(s.subarray(from, to), y.subarray(from, to));
    if (Number.isNaN(value)) {
      skipped++;
      continue;
    }
    weighted += (to - from) * value;
    rows += to - from;
  }
  return { gauc: rows === 0 ? NaN : weighted / rows, groups: nonEmpty, skippedGroups: skipped, rows };
}

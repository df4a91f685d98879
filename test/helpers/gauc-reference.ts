/**
 * GAUC as its definition reads, for tests: per group, the AUC over every
 * (positive, negative) pair with a tie counting one half; groups weighted by
 * their rows; groups with one class left out and counted. O(n^2) and
 * independent of src/metrics, so it can check it.
 */

export interface ScoredRow<G> {
  group: G;
  s: number;
  y: number;
}

/** NaN when the rows hold one class only. */
export function pairwiseAuc(rows: readonly { s: number; y: number }[]): number {
  let wins = 0;
  let pairs = 0;
  for (const p of rows) {
    if (p.y !== 1) continue;
    for (const n of rows) {
      if (n.y !== 0) continue;
      pairs++;
      wins += p.s > n.s ? 1 : p.s === n.s ? 0.5 : 0;
    }
  }
  return pairs === 0 ? NaN : wins / pairs;
}

export function referenceGauc<G>(rows: readonly ScoredRow<G>[]): { gauc: number; groups: number; skippedGroups: number; rows: number } {
  const byGroup = new Map<G, ScoredRow<G>[]>();
  for (const r of rows) byGroup.set(r.group, [...(byGroup.get(r.group) ?? []), r]);
  let weighted = 0;
  let used = 0;
  let skipped = 0;
  for (const members of byGroup.values()) {
    const a = pairwiseAuc(members);
    if (Number.isNaN(a)) skipped++;
    else {
      weighted += members.length * a;
      used += members.length;
    }
  }
  return { gauc: used === 0 ? NaN : weighted / used, groups: byGroup.size, skippedGroups: skipped, rows: used };
}

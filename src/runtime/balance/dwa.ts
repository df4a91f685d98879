/**
 * Dynamic Weight Average (S. Liu, E. Johns, A. J. Davison, "End-to-End
 * Multi-Task Learning with Attention", CVPR 2019, eq. 7), in plain numbers
 * (python/balance.py does the same):
 *
 *   w_k(t) = T exp(r_k(t-1) / temperature) / sum_i exp(r_i(t-1) / temperature)
 *   r_k(t-1) = L_k(t-1) / L_k(t-2)
 *
 * with L_k(e) task k's loss averaged over the steps of epoch e, and w_k = 1
 * for the first two epochs (no two earlier averages yet). A task whose
 * average was 0 (a `where` task that saw no rows) counts as r = 1.
 */

/** The weights of the next epoch, from the averages of the epochs before (oldest first; fewer than two give 1s). */
export function dwaWeights(averages: readonly (readonly number[])[], tasks: number, temperature: number): number[] {
  if (averages.length < 2) return Array(tasks).fill(1);
  const before = averages[averages.length - 2]!;
  const last = averages[averages.length - 1]!;
  const ratios = last.map((l, k) => (before[k]! > 0 ? l / before[k]! : 1));
  // Shifted by the largest exponent: the same softmax, without overflow at a small temperature.
  const top = Math.max(...ratios.map((r) => r / temperature));
  const e = ratios.map((r) => Math.exp(r / temperature - top));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((x) => (tasks * x) / sum);
}

/**
 * GradNorm (Z. Chen, V. Badrinarayanan, C.-Y. Lee, A. Rabinovich, "GradNorm:
 * Gradient Normalization for Adaptive Loss Balancing in Deep Multitask
 * Networks", ICML 2018), one update of the task weights w_i, in plain numbers
 * (the PyTorch target's python/balance.py does the same arithmetic):
 *
 *   g_i   = ||grad_W L_i||        over W, the last shared layer (src/ir/gradnorm-layer.ts)
 *   G_i   = w_i g_i               = ||grad_W (w_i L_i)||
 *   r_i   = (L_i / L_i(0)) / mean_j (L_j / L_j(0))     relative inverse training rate
 *   L_grad = sum_i | G_i - mean_j(G_j) * r_i^alpha |   the target a constant
 *   dL_grad/dw_i = sign(G_i - target_i) * g_i
 *
 * The weights take one Adam step on that gradient (their own Adam: the
 * gradient's scale depends on the model, Adam's step does not), are kept at
 * least MIN_WEIGHT so that no task's gradient flips sign, and are renormalised
 * to sum to T, the number of trained tasks. L_i(0) is the first step's loss.
 * A step where some L_i is 0 (a `where` task with no rows in the batch) or a
 * g_i is not finite leaves the weights as they are: its r_i would say nothing.
 */

export const MIN_WEIGHT = 1e-3;
export const ADAM = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 } as const;

export interface GradNormState {
  /** w_i, in the order of `tasks`. */
  weights: number[];
  /** L_i(0), once the first usable step has been seen. */
  initialLosses: number[] | null;
  /** The weights' Adam moments and step count. */
  m: number[];
  v: number[];
  t: number;
}

export interface GradNormStep {
  /** L_grad at this step (before the update); null when the step was skipped. */
  loss: number | null;
  state: GradNormState;
}

export function initialGradNorm(tasks: number): GradNormState {
  return { weights: Array(tasks).fill(1), initialLosses: null, m: Array(tasks).fill(0), v: Array(tasks).fill(0), t: 0 };
}

/** One GradNorm update from the step's losses L_i and gradient norms g_i (both in task order). */
export function gradNormUpdate(state: GradNormState, losses: readonly number[], norms: readonly number[], options: { alpha: number; lr: number }): GradNormStep {
  const usable = losses.every((l) => Number.isFinite(l) && l > 0) && norms.every((g) => Number.isFinite(g));
  if (!usable) return { loss: null, state };
  const initial = state.initialLosses ?? [...losses];
  const T = losses.length;
  const G = norms.map((g, i) => state.weights[i]! * g);
  const meanG = mean(G);
  const ratios = losses.map((l, i) => l / initial[i]!);
  const meanRatio = mean(ratios);
  const targets = ratios.map((r) => meanG * Math.pow(r / meanRatio, options.alpha));
  const loss = G.reduce((sum, g, i) => sum + Math.abs(g - targets[i]!), 0);
  const grads = G.map((g, i) => Math.sign(g - targets[i]!) * norms[i]!);
  const t = state.t + 1;
  const m = grads.map((g, i) => ADAM.beta1 * state.m[i]! + (1 - ADAM.beta1) * g);
  const v = grads.map((g, i) => ADAM.beta2 * state.v[i]! + (1 - ADAM.beta2) * g * g);
  const stepped = state.weights.map((w, i) => {
    const mHat = m[i]! / (1 - Math.pow(ADAM.beta1, t));
    const vHat = v[i]! / (1 - Math.pow(ADAM.beta2, t));
    return Math.max(MIN_WEIGHT, w - (options.lr * mHat) / (Math.sqrt(vHat) + ADAM.epsilon));
  });
  const sum = stepped.reduce((a, b) => a + b, 0);
  return { loss, state: { weights: stepped.map((w) => (w * T) / sum), initialLosses: initial, m, v, t } };
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

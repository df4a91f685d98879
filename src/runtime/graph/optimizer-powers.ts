/**
 * Optimiser state that TF.js's getWeights/setWeights do not carry exactly.
 *
 * Adam keeps beta1^t and beta2^t in two float32 variables, multiplied by
 * beta once per step (each product rounded to float32). setWeights instead
 * recomputes them with pow(), which differs in the last bits, so a resumed
 * run would drift from an uninterrupted one by about 1e-6. This puts back
 * the values the step-by-step products reach; importStepState calls it.
 */
import * as tf from "#tfjs";

interface AdamInternals {
  beta1: number;
  beta2: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
}

export function restoreOptimizerPowers(optimizer: tf.Optimizer): void {
  if (optimizer.getClassName() !== "Adam") return;
  const adam = optimizer as unknown as AdamInternals;
  const steps = optimizer.iterations;
  tf.tidy(() => {
    adam.accBeta1.assign(tf.scalar(stepwisePower(adam.beta1, steps)));
    adam.accBeta2.assign(tf.scalar(stepwisePower(adam.beta2, steps)));
  });
}

/** beta^(steps+1) as Adam reaches it: float32(beta), multiplied by it `steps` times, rounded to float32 each time. */
export function stepwisePower(beta: number, steps: number): number {
  const b = Math.fround(beta);
  let acc = b;
  for (let i = 0; i < steps; i++) acc = Math.fround(acc * b);
  return acc;
}

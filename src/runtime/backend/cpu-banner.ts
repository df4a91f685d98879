import type * as tf from "@tensorflow/tfjs";

/**
 * The cpu backend prints a multi-line "install tfjs-node" banner the first
 * time it stores data. selectBackend already reports in one line why cpu was
 * chosen (and how to get tfjs-node), so the banner only repeats it, in the
 * middle of the CLI's output. Clears the flag it keys on; harmless if a
 * future tfjs drops the field.
 */
export function silenceCpuFirstUseBanner(cpu: tf.KernelBackend): void {
  const flags = cpu as unknown as { firstUse?: boolean };
  if (flags.firstUse === true) flags.firstUse = false;
}

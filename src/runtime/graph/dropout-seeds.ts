/**
 * Per-step dropout seeds. Keras' Dropout takes one seed, and TF.js draws its
 * mask from a generator freshly seeded on every call, so a fixed seed would
 * drop the same units at every step. The train step therefore gives each
 * Dropout layer a seed derived from its base seed and the step number for the
 * duration of the step, then restores the base seed (which is what a saved
 * config shows). Two runs with the same IR, seed and batches therefore draw
 * the same masks, and successive steps draw different ones.
 */
import type * as tf from "@tensorflow/tfjs";
import { deriveSeed } from "../../plan/seed.js";

interface Seeded {
  seed?: unknown;
}

function seededLayer(model: tf.LayersModel, name: string): Seeded {
  const layer = model.getLayer(name) as unknown as Seeded;
  if (typeof layer.seed !== "number") {
    throw new Error(`Dropout layer '${name}' has no numeric seed field; the TF.js Dropout internals changed`);
  }
  return layer;
}

/** The seed a Dropout layer of base seed `base` draws its mask from at step `step` (counted from 0). */
export function stepSeed(base: number, step: number): number {
  return deriveSeed(base, `step ${step}`);
}

/** Sets the step's seeds and returns the function restoring the base seeds. */
export function seedDropoutForStep(
  model: tf.LayersModel,
  baseSeeds: ReadonlyMap<string, number>,
  step: number,
): () => void {
  const layers = [...baseSeeds].map(([name, base]) => ({ layer: seededLayer(model, name), base }));
  for (const { layer, base } of layers) layer.seed = stepSeed(base, step);
  return () => {
    for (const { layer, base } of layers) layer.seed = base;
  };
}

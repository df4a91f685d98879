/**
 * The architectures' spec text (architecture-text.ts), and the parameter
 * counts that the experiments match across them.
 */
import { buildModel } from "../runtime/graph/index.js";
import { compileSpec, ExperimentError } from "./spec-run.js";
import { ARCHITECTURES, type Architecture } from "./architecture-text.js";

export * from "./architecture-text.js";

/** Trainable parameters of the model a spec builds (embeddings included). */
export function parameterCount(specText: string, name: string): number {
  const built = buildModel(compileSpec(specText, name));
  try {
    return built.model.countParams();
  } finally {
    built.model.dispose();
  }
}

/**
 * Shared-Bottom's width chosen so that its parameter count matches MMoE's,
 * and the parameter count of every architecture at that width.
 * `specFor(arch, bottomUnits)` is the spec text of an architecture.
 */
export function parameterMatched(specFor: (arch: Architecture, bottomUnits: number) => string): { bottomUnits: number; params: Record<Architecture, number> } {
  const mmoe = parameterCount(specFor("mmoe", 1), "mmoe.mtl");
  const bottomUnits = matchingBottomUnits((units) => specFor("shared-bottom", units), mmoe);
  const params = Object.fromEntries(ARCHITECTURES.map((a) => [a, parameterCount(specFor(a, bottomUnits), `${a}.mtl`)])) as Record<Architecture, number>;
  return { bottomUnits, params };
}

/**
 * The Shared-Bottom width whose parameter count is closest to `target`.
 * The count is linear in the width, so two builds give its slope and offset.
 */
export function matchingBottomUnits(specFor: (bottomUnits: number) => string, target: number): number {
  const one = parameterCount(specFor(1), "bottom-1.mtl");
  const slope = parameterCount(specFor(2), "bottom-2.mtl") - one;
  const units = Math.round((target - (one - slope)) / slope);
  if (!(units >= 1)) throw new ExperimentError(`no Shared-Bottom width reaches ${target} parameters (one unit gives ${one})`);
  return units;
}

/**
 * The TF.js half of a model folder that the Python package writes: the
 * topology and weight layout that `mtl train` would save for this IR,
 * captured from the runtime's own model (build-model.ts) as saveModel
 * would write them, so model.json is byte-for-byte what mtl reads.
 */
import * as tf from "#tfjs";
import { silenceCpuFirstUseBanner } from "../../runtime/backend/cpu-banner.js";
import type { ValidIR } from "../../ir/types.js";
import type { LayerPlan } from "../../plan/layer-plan.js";
import { buildModel } from "../../runtime/graph/build-model.js";
import type { TfjsWeightSpec } from "./model-code.js";

export interface TfjsLayout {
  modelTopology: unknown;
  weightSpecs: TfjsWeightSpec[];
  format: string;
  generatedBy: string;
}

export async function tfjsLayout(ir: ValidIR, plan: LayerPlan): Promise<TfjsLayout> {
  // Only layouts are read here: the default backend will do, without its banner.
  // tf.backend() picks it now: until then tf.getBackend() is undefined, and picking makes a new instance.
  const backend = tf.backend();
  if (tf.getBackend() === "cpu") silenceCpuFirstUseBanner(backend);
  const built = buildModel(ir, plan);
  let captured: TfjsLayout | undefined;
  try {
    await built.model.save({
      save: async (artifacts) => {
        captured = {
          modelTopology: artifacts.modelTopology,
          weightSpecs: (artifacts.weightSpecs ?? []).map(({ name, shape, dtype }) => ({ name, shape, dtype })),
          format: artifacts.format ?? "layers-model",
          generatedBy: artifacts.generatedBy ?? "mtl",
        };
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
      },
    });
  } finally {
    // The two models share their layers: disposing one releases the weights.
    built.model.dispose();
  }
  return captured!;
}

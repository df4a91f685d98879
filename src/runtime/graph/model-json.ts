import * as tf from "#tfjs";

/**
 * A layers model's model.json and weight file name from TF.js's save
 * artifacts. Apart from save-load.ts (which writes them to disk) so that the
 * browser playground builds the same model folder in memory.
 */
export const MODEL_JSON = "model.json";
export const WEIGHTS_FILE = /^weights\.[0-9a-f]{16}\.bin$/;

/** The weight file is named by the SHA-256 (hex) of its bytes. */
export function weightsFileName(sha256Hex: string): string {
  return `weights.${sha256Hex.slice(0, 16)}.bin`;
}

export function modelJsonOf(artifacts: tf.io.ModelArtifacts, weightsName: string): tf.io.ModelJSON {
  if (artifacts.modelTopology instanceof ArrayBuffer) {
    throw new Error("a binary (graph-model) topology cannot be saved as a layers model");
  }
  const modelJson: tf.io.ModelJSON = {
    modelTopology: artifacts.modelTopology ?? {},
    weightsManifest: [{ paths: [weightsName], weights: artifacts.weightSpecs ?? [] }],
    format: artifacts.format ?? "layers-model",
    generatedBy: artifacts.generatedBy ?? "mtl",
    convertedBy: artifacts.convertedBy ?? null,
  };
  if (artifacts.trainingConfig !== undefined) modelJson.trainingConfig = artifacts.trainingConfig;
  if (artifacts.signature !== undefined) modelJson.signature = artifacts.signature;
  if (artifacts.userDefinedMetadata !== undefined) modelJson.userDefinedMetadata = artifacts.userDefinedMetadata;
  if (artifacts.modelInitializer !== undefined) modelJson.modelInitializer = artifacts.modelInitializer;
  if (artifacts.initializerSignature !== undefined) modelJson.initializerSignature = artifacts.initializerSignature;
  return modelJson;
}

export function joinWeights(data: tf.io.WeightData | undefined): ArrayBuffer {
  if (data === undefined) return new ArrayBuffer(0);
  return Array.isArray(data) ? tf.io.CompositeArrayBuffer.join(data) : data;
}

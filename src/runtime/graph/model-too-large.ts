/**
 * A model that cannot fit the current backend's memory: an input problem,
 * reported in one line. Apart from model-size.ts so the CLI can recognise it
 * without loading TensorFlow.js.
 */
export class ModelTooLargeError extends Error {
  override name = "ModelTooLargeError";
}

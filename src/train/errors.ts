/** Failures of training and serving that the CLI reports as plain messages (exit 1); kept free of heavy imports. */
export class ModelDirError extends Error {
  override name = "ModelDirError";
}

export class NonFiniteLossError extends Error {
  override name = "NonFiniteLossError";
}

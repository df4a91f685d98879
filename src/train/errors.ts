/** Failures of training and serving that the CLI reports as plain messages (exit 1); kept free of heavy imports. */
export class ModelDirError extends Error {
  override name = "ModelDirError";
}

export class NonFiniteLossError extends Error {
  override name = "NonFiniteLossError";
}

/**
 * A checkpoint (the `checkpoint/` folder inside a model folder) that cannot
 * be read, does not fit the run, or cannot be written. It is a model-folder
 * error, so the CLI reports it the same way: one message, exit 1.
 */
export class CheckpointError extends ModelDirError {
  override name = "CheckpointError";
}

/** Where a checkpoint stands, for messages. */
export interface CheckpointPlace {
  /** The checkpoint folder. */
  dir: string;
  /** The model folder to pass to `mtl train --resume`. */
  out: string;
  steps: number;
  epoch: number;
  batch: number;
  /** Every batch of `epoch` was trained on. */
  epochComplete: boolean;
}

/**
 * Training stopped on request (Ctrl-C, SIGTERM) after a step. `saved` is the
 * checkpoint to resume from; null when the run stopped before anything could
 * be saved (while reading the data for the first time).
 */
export class TrainingInterrupted extends Error {
  override name = "TrainingInterrupted";
  constructor(readonly saved: CheckpointPlace | null) {
    super(saved ? `stopped at step ${saved.steps}` : "stopped before the first step");
  }
}

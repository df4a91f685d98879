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

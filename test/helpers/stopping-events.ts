import type { CheckpointOptions } from "../../src/train/checkpoint/session.js";
import type { TrainEvents } from "../../src/train/trainer.js";

/**
 * Quiet training events that abort the run when the step count (counted on
 * from a resumed checkpoint's) reaches `stopAt`, and the signal to pass as
 * `trainModel`'s `stop`. `extra` adds events, such as `taskWeights`.
 */
export function stoppingEvents(options: { checkpoint?: CheckpointOptions; stopAt?: number }, extra: Partial<TrainEvents> = {}): { events: TrainEvents; stop: AbortSignal } {
  const controller = new AbortController();
  let steps = options.checkpoint?.resume?.meta.position.steps ?? 0;
  const events: TrainEvents = {
    fitted() {},
    epochStart() {},
    epochEnd() {},
    step() {
      if (++steps === options.stopAt) controller.abort();
    },
    ...extra,
  };
  return { events, stop: controller.signal };
}

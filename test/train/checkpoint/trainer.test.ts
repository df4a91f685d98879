/**
 * Checkpoints through the trainer, in-process: stopping and resuming gives
 * the weights of an uninterrupted run, a full disk (injected) keeps the
 * previous checkpoint, and a resume that does not fit the run is refused
 * with what differs.
 */
import assert from "node:assert/strict";
import { copyFileSync, cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { before, test } from "node:test";
import { compileSource } from "../../../src/compiler.js";
import type { ValidIR } from "../../../src/ir/types.js";
import { selectBackend } from "../../../src/runtime/backend/select.js";
import { checkpointDir, loadCheckpoint, type CheckpointIo } from "../../../src/train/checkpoint/store.js";
import type { CheckpointOptions } from "../../../src/train/checkpoint/session.js";
import { stoppingEvents } from "../../helpers/stopping-events.js";
import { CheckpointError } from "../../../src/errors.js";
import { readOptionsFor } from "../../../src/train/read-options.js";
import { trainModel, type TrainResult } from "../../../src/train/trainer.js";
import { writeFilesAtomic } from "../../../src/util/atomic-write.js";
import { maxWeightDifference, modelWeights, SMALL_SPEC, smallRun, tempFiles } from "./fixtures.js";
import { tempDir } from "../fixtures.js";
import { TrainingInterrupted } from "../../../src/train/interrupted.js";

const work = tempDir("ckpt-trainer");
let data: string;
let reference: Map<string, Float32Array>;

/** 320 rows in batches of 32: 10 steps an epoch, 20 in all. */
const ROWS = 320;

function smallIr(change: (ir: ValidIR) => void = () => {}): ValidIR {
  const ir = structuredClone(compileSource(SMALL_SPEC, "small.mtl").ir!);
  change(ir);
  return ir;
}

function train(out: string, options: { ir?: ValidIR; file?: string; checkpoint?: CheckpointOptions; stopAt?: number } = {}): Promise<TrainResult> {
  const ir = options.ir ?? smallIr();
  const file = options.file ?? data;
  const { events, stop } = stoppingEvents(options);
  return trainModel({
    ir,
    specText: SMALL_SPEC,
    train: { file, read: readOptionsFor(file, ir.data) },
    out,
    skipBadRows: 0,
    shuffleBuffer: 10_000,
    events,
    ...(options.checkpoint && { checkpoint: options.checkpoint }),
    stop,
  });
}

async function interrupted(run: Promise<unknown>): Promise<TrainingInterrupted> {
  try {
    await run;
  } catch (error) {
    if (error instanceof TrainingInterrupted) return error;
    throw error;
  }
  assert.fail("training should have been interrupted");
}

before(async () => {
  await selectBackend();
  ({ data } = await smallRun(work, ROWS));
  const out = join(work, "reference");
  await train(out);
  reference = modelWeights(out);
});

test("stopped twice (mid-epoch, then in the second epoch) and resumed: the weights of an uninterrupted run", async () => {
  const out = join(work, "stopped");
  const first = await interrupted(train(out, { checkpoint: { every: 0 }, stopAt: 4 }));
  assert.deepEqual(first.saved && { steps: first.saved.steps, epoch: first.saved.epoch, batch: first.saved.batch }, { steps: 4, epoch: 1, batch: 4 });
  const second = await interrupted(train(out, { checkpoint: { every: 0, resume: loadCheckpoint(checkpointDir(out)) }, stopAt: 13 }));
  assert.deepEqual(second.saved && { steps: second.saved.steps, epoch: second.saved.epoch, batch: second.saved.batch }, { steps: 13, epoch: 2, batch: 3 });
  const result = await train(out, { checkpoint: { every: 0, resume: loadCheckpoint(checkpointDir(out)) } });
  assert.equal(result.steps, 20);
  assert.equal(result.losses.length, 7, "the last run trained steps 14 to 20");
  assert.equal(maxWeightDifference(modelWeights(out), reference), 0, "the resumed run's weights differ from the uninterrupted run's");
  assert.ok(!existsSync(checkpointDir(out)), "the checkpoint is deleted once the model is saved");
});

/** Checkpoint writes as usual, calling `committed` as each checkpoint commits (with its manifest, the last of its 4 files). */
function onCommit(committed: () => void): CheckpointIo {
  return {
    async writeFiles(files) {
      await writeFilesAtomic(files);
      if (files.some(([path]) => basename(path) === "manifest.json")) committed();
    },
  };
}

test("no checkpoint is written at the end of the last epoch, which the model save follows; the other epochs end with one", async () => {
  const out = join(work, "last-epoch");
  const committed: number[] = [];
  const io = onCommit(() => committed.push(loadCheckpoint(checkpointDir(out)).meta.position.steps));
  const result = await train(out, { checkpoint: { every: 0, io } });
  assert.equal(result.steps, 20);
  assert.deepEqual(committed, [10], "one checkpoint, at the end of epoch 1 of 2");
  assert.equal(maxWeightDifference(modelWeights(out), reference), 0, "the weights of the run with every checkpoint");
  assert.ok(!existsSync(checkpointDir(out)));
});

test("checkpoints by time are taken mid-epoch, after whichever step the clock says, and leave the weights those of an uninterrupted run; so does resuming from one", async () => {
  const out = join(work, "by-time");
  const committed: string[] = [];
  const io = onCommit(() => committed.push(checkpointDir(out)));
  // A microsecond: every step takes longer (the fused step can take less than a millisecond), so one checkpoint
  // after each (by time, not by step count: every is 0), the last at Ctrl-C.
  const seconds = 0.000001;
  const stopped = await interrupted(train(out, { checkpoint: { every: 0, seconds, io }, stopAt: 7 }));
  assert.equal(stopped.saved?.steps, 7);
  assert.ok(committed.length >= 6, `expected a checkpoint by time after most of the 7 steps, got ${committed.length}`);
  assert.deepEqual(loadCheckpoint(checkpointDir(out)).meta.run.checkpointSeconds, seconds, "the interval is recorded for --resume");
  const result = await train(out, { checkpoint: { every: 0, seconds, io, resume: loadCheckpoint(checkpointDir(out)) } });
  assert.equal(result.losses.length, 13, "the resume trains only the remaining steps");
  assert.ok(committed.length >= 18, `checkpoints by time go on after the resume: ${committed.length}`);
  assert.equal(maxWeightDifference(modelWeights(out), reference), 0);
});

test("a full disk while saving a checkpoint: a clear error, the previous checkpoint intact, and resuming from it ends like an uninterrupted run", async () => {
  const out = join(work, "full-disk");
  let checkpoints = 0;
  // Every 3 steps a checkpoint of 4 files (arrays, encoding, meta, manifest): the manifest of the 3rd, at step 9, finds the disk full.
  const io: CheckpointIo = {
    writeFiles(files) {
      const third = ++checkpoints === 3;
      return writeFilesAtomic(files, (stage, path) => {
        if (third && stage === "write" && basename(path) === "manifest.json") throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
      });
    },
  };
  await assert.rejects(train(out, { checkpoint: { every: 3, io } }), (error: unknown) => {
    assert.ok(error instanceof CheckpointError, `expected a CheckpointError, got ${String(error)}`);
    assert.equal(
      error.message,
      `cannot write a checkpoint to ${checkpointDir(out)}: no space left on the device (ENOSPC). The previous checkpoint (step 6, epoch 1, batch 6) in ${checkpointDir(out)} is intact: free some space, then continue with \`mtl train --resume ${out}\`.`,
    );
    return true;
  });
  const kept = loadCheckpoint(checkpointDir(out));
  assert.equal(kept.meta.position.steps, 6);
  assert.deepEqual(tempFiles(checkpointDir(out)), []);
  await train(out, { checkpoint: { every: 3, resume: kept } });
  assert.equal(maxWeightDifference(modelWeights(out), reference), 0);
});

test("a resume that does not fit is refused, saying what differs; --accept-changes lets the learning rate change", async () => {
  const out = join(work, "mismatch");
  await interrupted(train(out, { checkpoint: { every: 0 }, stopAt: 3 }));
  const resume = () => loadCheckpoint(checkpointDir(out));
  const refused = async (options: Parameters<typeof train>[1], message: RegExp) => {
    await assert.rejects(train(out, options), (error: unknown) => {
      assert.ok(error instanceof CheckpointError, `expected a CheckpointError, got ${String(error)}`);
      assert.match(error.message, /^cannot resume from .*checkpoint: this run differs from the one that wrote the checkpoint: /);
      assert.match(error.message, message);
      return true;
    });
  };
  await refused({ ir: smallIr((ir) => (ir.train.seed = 8)), checkpoint: { every: 0, resume: resume() } }, /train\.seed is 7 in the checkpoint but 8 now/);
  await refused({ ir: smallIr((ir) => (ir.train.batch = 16)), checkpoint: { every: 0, resume: resume() } }, /train\.batch is 32 in the checkpoint but 16 now/);
  await refused(
    { ir: smallIr((ir) => ((ir.features[2] as { transform: string }).transform = "sqrt")), checkpoint: { every: 0, resume: resume() } },
    /features\[price\]\.transform is "log1p" in the checkpoint but "sqrt" now/,
  );
  const lr = smallIr((ir) => {
    if (ir.train.optimizer.type === "adam") ir.train.optimizer.lr = 0.005;
  });
  await refused({ ir: lr, checkpoint: { every: 0, resume: resume() } }, /train\.optimizer\.lr is 0\.01 in the checkpoint but 0\.005 now.*pass --accept-changes/);
  const changed = join(work, "changed.csv");
  copyFileSync(data, changed);
  writeFileSync(changed, "\n", { flag: "a" });
  await refused({ file: changed, checkpoint: { every: 0, resume: resume() } }, /the training data differ: .*changed\.csv has \d+ bytes .*the checkpoint was taken on .*train\.csv/);
  const result = await train(out, { ir: lr, checkpoint: { every: 0, resume: resume(), acceptChanges: true } });
  assert.equal(result.steps, 20);
});

test("a fresh run does not overwrite an unfinished run's checkpoint; a failed model save keeps the final one, which a resume saves or a forced run replaces", async () => {
  const out = join(work, "fresh");
  await interrupted(train(out, { checkpoint: { every: 0 }, stopAt: 2 }));
  await assert.rejects(train(out, { checkpoint: { every: 0 } }), (error: unknown) => {
    assert.ok(error instanceof CheckpointError);
    assert.equal(error.message, `${out} holds an unfinished run (checkpoint at step 2, epoch 1, batch 2): continue it with \`mtl train --resume ${out}\`, or pass --force to start afresh`);
    return true;
  });
  // model.json as a folder: saving the model fails after the last checkpoint.
  mkdirSync(join(out, "model.json"), { recursive: true });
  await assert.rejects(train(out, { checkpoint: { every: 0, resume: loadCheckpoint(checkpointDir(out)) } }), (error: unknown) => {
    assert.ok(error instanceof CheckpointError, `expected a CheckpointError, got ${String(error)}`);
    assert.match(
      error.message,
      new RegExp(`^cannot save the model to ${out}: .*\\. The checkpoint \\(step 20, end of epoch 2\\) in ${checkpointDir(out)} holds the trained state: fix the cause, then save the model with \`mtl train --resume ${out}\`\\.$`),
    );
    return true;
  });
  rmSync(join(out, "model.json"), { recursive: true });
  const copy = join(work, "fresh-copy");
  cpSync(out, copy, { recursive: true });
  assert.equal(loadCheckpoint(checkpointDir(out)).meta.finished, true);

  const saved = await train(out, { checkpoint: { every: 0, resume: loadCheckpoint(checkpointDir(out)) } });
  assert.deepEqual([saved.steps, saved.losses.length], [20, 0], "the resume only evaluates and saves");
  assert.equal(maxWeightDifference(modelWeights(out), reference), 0);
  assert.ok(!existsSync(checkpointDir(out)));

  await assert.rejects(train(copy, { checkpoint: { every: 0 } }), /holds an unfinished run \(checkpoint at step 20, end of epoch 2\)/, "the model of a finished checkpoint is not saved yet");
  const again = await train(copy, { checkpoint: { every: 0, start: "replace" } });
  assert.equal(again.losses.length, 20, "--force replaces a finished checkpoint");
  assert.equal(maxWeightDifference(modelWeights(copy), reference), 0);
});

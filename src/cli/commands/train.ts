import { resolve } from "node:path";
import type { Command } from "commander";
import type { ModelIR } from "../../ir/types.js";
import { selectBackend } from "../../runtime/backend/select.js";
import type { Checkpoint } from "../../train/checkpoint-format.js";
import { describePlace, resumeCommand } from "../../train/checkpoint-messages.js";
import { checkpointToResume } from "../../train/checkpoint-session.js";
import { TrainingInterrupted } from "../../train/errors.js";
import { readOptionsFor } from "../../train/read-options.js";
import { lockOutFolder, OutFolderLockedError, type OutLock } from "../../train/out-lock.js";
import { metricsTable } from "../../train/report.js";
import { trainModel } from "../../train/trainer.js";
import { compileOrReport } from "../compile-or-report.js";
import { addDataOptions, dataOverrides, positiveInt, skipBadRows, trainSettingFlag, type DataCliOptions } from "../data-options.js";
import { EXIT_ERRORS, EXIT_OK, UsageError } from "../exit-codes.js";
import { progressReporter } from "../progress.js";
import { signalExitCode, signalWords } from "../signals.js";

interface TrainCliOptions extends DataCliOptions {
  data?: string;
  valid?: string;
  out?: string;
  epochs?: string;
  batch?: string;
  seed?: string;
  maxSteps?: string;
  shuffleBuffer?: string;
  checkpointEvery?: string;
  resume?: string;
  acceptChanges?: boolean;
  quiet?: boolean;
}

const DEFAULT_SHUFFLE_BUFFER = 10_000;
const DEFAULT_CHECKPOINT_EVERY = 1000;

/** Exit codes of a run stopped by a signal: 128 + the signal's number, as shells report it. */

export function registerTrain(program: Command): void {
  const command = program
    .command("train")
    .summary("train a spec on data and save the model")
    .description(
      "Train a spec on a data file and save the model.\n" +
        "Prints a progress bar (rows/s, running loss) and per-task metrics after each epoch (on --valid if given, else on the training data).\n" +
        "The --out folder then holds model.json + weights (TensorFlow.js format), encoding.json, ir.json, spec.mtl, metrics.json and a manifest.\n" +
        "While training, --out/checkpoint/ holds the last checkpoint (every --checkpoint-every steps and at each epoch's end), deleted once the model is saved. Ctrl-C stops after the current step and saves one (exit 130).\n" +
        "`mtl train --resume DIR` continues from it with the spec, data and options of the interrupted run; those given again must match, except --epochs, --max-steps, --valid, --skip-bad-rows and --checkpoint-every. See docs/reliability.md.\n" +
        "One run at a time per --out folder: it holds --out/.lock while it runs, and a second one is refused.",
    )
    .argument("[spec]", "the .mtl spec (with --resume: by default the checkpoint's)")
    .option("--data <file>", "training data: .csv/.tsv/.jsonl (optionally .gz) or .parquet (with --resume: by default the checkpoint's)")
    .option("--valid <file>", "validation data, evaluated after each epoch")
    .option("--out <dir>", "folder to save the trained model in (with --resume: DIR)")
    .option("--epochs <n>", "override the spec's train.epochs (may change on --resume)")
    .option("--batch <n>", "override the spec's train.batch")
    .option("--seed <n>", "override the spec's train.seed")
    .option("--max-steps <n>", "stop after this many training steps")
    .option("--shuffle-buffer <n>", `rows held in a seeded shuffle buffer (1 keeps file order; default ${DEFAULT_SHUFFLE_BUFFER})`)
    .option("--checkpoint-every <n>", `save a checkpoint every N steps (0: only at the end of each epoch; default ${DEFAULT_CHECKPOINT_EVERY})`)
    .option("--resume <dir>", "continue the run whose --out folder is DIR from its last checkpoint")
    .option("--accept-changes", "with --resume: continue although the optimiser settings, train.l2 or the data changed (e.g. after a NaN loss)")
    .option("-q, --quiet", "print only the final metrics");
  addDataOptions(command).action(async (spec: string | undefined, options: TrainCliOptions, self: Command) => {
    process.exitCode = await runTrain(spec, options, (name) => self.getOptionValueSource(name) !== "default");
  });
}

/** What to train: from the command line, completed from the checkpoint on --resume. */
interface TrainPlan {
  ir: ModelIR;
  specText: string;
  /** The training data file. */
  data: string;
}

async function runTrain(spec: string | undefined, options: TrainCliOptions, given: (option: string) => boolean): Promise<number> {
  const out = outputFolder(options);
  if (!options.resume) {
    if (spec === undefined) throw new UsageError("missing the spec: mtl train SPEC --data FILE --out DIR (or --resume DIR to continue a run)");
    if (options.data === undefined) throw new UsageError("missing --data <file>: the training data");
  }
  if (options.acceptChanges && !options.resume) throw new UsageError("--accept-changes only applies with --resume DIR");
  const maxStepsOption = positiveInt("--max-steps", options.maxSteps);
  const shuffleOption = positiveInt("--shuffle-buffer", options.shuffleBuffer);
  const everyOption = wholeNumber("--checkpoint-every", options.checkpointEvery);
  const overrides = dataOverrides(options);
  const skipOption = skipBadRows(options);
  const epochs = trainSettingFlag("--epochs", options.epochs, "epochs");
  const batch = trainSettingFlag("--batch", options.batch, "batch");
  const seed = trainSettingFlag("--seed", options.seed, "seed");

  // Held from before the checkpoint is read until the model is saved, on every way out (see out-lock.ts).
  const lock = lockOutput(out);
  try {
    const checkpoint = options.resume ? checkpointToResume(out) : undefined;
    const plan = planFrom(spec, options, checkpoint);
    if (!plan) return EXIT_ERRORS;
    const { ir } = plan;
    // Epochs only say where to stop: a resume keeps the interrupted run's unless told otherwise.
    ir.train.epochs = epochs ?? checkpoint?.meta.ir.train.epochs ?? ir.train.epochs;
    ir.train.batch = batch ?? ir.train.batch;
    ir.train.seed = seed ?? ir.train.seed;
    const stored = checkpoint?.meta.run;
    const dataGiven = options.data !== undefined || Object.keys(overrides).length > 0;
    const read = stored && !dataGiven ? stored.read : readOptionsFor(plan.data, ir.data, overrides);
    const validFile = options.valid ?? stored?.valid?.file;
    const valid = validFile === undefined ? undefined : { file: validFile, read: options.valid === undefined && stored?.valid ? stored.valid.read : readOptionsFor(validFile, ir.data, overrides) };
    const skip = stored && !given("skipBadRows") ? stored.skipBadRows : skipOption;
    const maxSteps = maxStepsOption ?? stored?.maxSteps ?? undefined;
    const shuffleBuffer = shuffleOption ?? stored?.shuffleBuffer ?? DEFAULT_SHUFFLE_BUFFER;
    const every = everyOption ?? stored?.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY;

    const backend = await selectBackend(options.backend);
    if (!options.quiet) process.stderr.write(`backend: ${backend.reason}\n`);
    const events = progressReporter({ quiet: Boolean(options.quiet) });
    const stop = stopOnSignals();
    try {
      const result = await trainModel({
        ir,
        specText: plan.specText,
        train: { file: plan.data, read },
        ...(valid && { valid }),
        out,
        skipBadRows: skip,
        ...(maxSteps !== undefined && { maxSteps }),
        shuffleBuffer,
        events,
        checkpoint: { every, ...(checkpoint && { resume: checkpoint }), acceptChanges: Boolean(options.acceptChanges) },
        stop: stop.signal,
      });
      if (options.quiet) process.stdout.write(metricsTable(result.metrics) + "\n");
      process.stderr.write(`saved the model to ${out} after ${result.steps} steps\n`);
    } catch (error) {
      if (!(error instanceof TrainingInterrupted)) throw error;
      events.stop();
      process.stderr.write(interruptedMessage(error, out));
      return signalExitCode(stop.received() ?? "SIGINT");
    } finally {
      events.stop();
      stop.dispose();
    }
    return EXIT_OK;
  } finally {
    lock.release();
  }
}

function lockOutput(out: string): OutLock {
  try {
    return lockOutFolder(out, (owner, lock) => {
      process.stderr.write(`mtl: warning: ${lock} was left by pid ${owner.pid}, which is no longer running; taking the folder over\n`);
    });
  } catch (error) {
    if (error instanceof OutFolderLockedError) throw new UsageError(error.message);
    throw error;
  }
}

/** --out, or DIR of --resume DIR (the same folder when both are given). */
function outputFolder(options: TrainCliOptions): string {
  if (options.resume !== undefined && options.out !== undefined && resolve(options.resume) !== resolve(options.out)) {
    throw new UsageError(`--resume ${options.resume} continues the run in that folder, but --out names ${options.out}; leave out --out`);
  }
  const out = options.resume ?? options.out;
  if (out === undefined) throw new UsageError("missing --out <dir>: the folder to save the model in");
  return out;
}

/** The spec and data to train; undefined when the spec has errors (already reported). */
function planFrom(spec: string | undefined, options: TrainCliOptions, checkpoint: Checkpoint | undefined): TrainPlan | undefined {
  // runTrain has checked that --data is given unless resuming.
  const data = options.data ?? checkpoint!.meta.run.data.file;
  if (spec === undefined) {
    // Only with --resume (checked by runTrain): the checkpoint's own spec, with its overrides.
    return { ir: structuredClone(checkpoint!.meta.ir), specText: checkpoint!.meta.spec, data };
  }
  const compiled = compileOrReport(spec);
  if (!compiled) return undefined;
  return { ir: structuredClone(compiled.ir), specText: compiled.text, data };
}

function wholeNumber(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${name} must be a whole number >= 0, got '${value}'`);
  return n;
}

function interruptedMessage(error: TrainingInterrupted, out: string): string {
  const saved = error.saved;
  if (saved === null) return "mtl: interrupted before the first training step; nothing was saved. Run the same command again to start over.\n";
  return `mtl: interrupted: stopped at step ${saved.steps}; the checkpoint (${describePlace(saved)}) is in ${saved.dir}.\nContinue with: ${resumeCommand(out)}\n`;
}

/**
 * Ctrl-C (SIGINT) and SIGTERM ask training to stop after the current step
 * and save a checkpoint; a second one quits at once, which is safe because
 * every checkpoint file is written atomically.
 */
function stopOnSignals(): { signal: AbortSignal; received(): NodeJS.Signals | undefined; dispose(): void } {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  const handler = (signal: NodeJS.Signals) => {
    if (received !== undefined) {
      process.stderr.write(`\nmtl: ${signalWords(signal).name} again: quitting at once; the last checkpoint is intact\n`);
      process.exit(signalExitCode(signal));
    }
    received = signal;
    controller.abort();
    const words = signalWords(signal);
    process.stderr.write(`\nmtl: ${words.name}: stopping after the current step and saving a checkpoint (${words.again} to quit at once)\n`);
  };
  const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM"];
  for (const s of signals) process.on(s, handler);
  return {
    signal: controller.signal,
    received: () => received,
    dispose: () => {
      for (const s of signals) process.off(s, handler);
    },
  };
}

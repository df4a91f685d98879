import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { Option, type Command } from "commander";
import type { ValidIR } from "../../ir/types.js";
import { fingerprintDataFile } from "../../train/checkpoint/compat.js";
import type { Checkpoint, RecordedData, RunDescription } from "../../train/checkpoint/format.js";
import { describePlace, resumeCommand } from "../../train/checkpoint/messages.js";
import { CheckpointSession, describeRun, type CheckpointOptions, type RunStart, type SessionRun } from "../../train/checkpoint/session.js";
import { checkpointDir, loadCheckpoint, removeCheckpoint } from "../../train/checkpoint/store.js";
import { CheckpointError, ModelDirError, UsageError } from "../../errors.js";
import { setReadThreads } from "../../data/readers/csv-split.js";
import { fileError } from "../../data/readers/file-errors.js";
import { overridesFor, readOptionsFor } from "../../train/read-options.js";
import { lockOutFolder, OutFolderLockedError, type OutLock } from "../../train/out-lock.js";
import { verifyModelDir } from "../../model-dir/folder.js";
import { RUN_RECORD } from "../../train/checkpoint/run-record.js";
import { checkSameFinishedRun, folderStatus, inspectTrainFolder, recordedRun, type TrainFolder } from "../../train/checkpoint/train-folder.js";
import { removeStaleTempFiles } from "../../util/atomic-write.js";
import { compileOrReport } from "../compile-or-report.js";
import { addDataOptions, dataOverrides, intFlag, positiveInt, skipBadRows, trainSettingFlag, type DataCliOptions } from "../data-options.js";
import { availableCores, MAX_THREADS } from "../../runtime/parallel/cores.js";
import { EXIT_ERRORS, EXIT_OK } from "../exit-codes.js";
import { signalExitCode, signalWords } from "../signals.js";
import { TrainingInterrupted } from "../../train/interrupted.js";

export interface TrainCliOptions extends DataCliOptions {
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
  force?: boolean;
  acceptChanges?: boolean;
  quiet?: boolean;
  engine?: string;
  nproc?: string;
  threads?: string;
}

const DEFAULT_SHUFFLE_BUFFER = 10_000;
/** By time: a kill loses at most about a minute of training, however long a step takes. */
const DEFAULT_CHECKPOINT_INTERVAL: Interval = { every: 0, seconds: 60 };

type Interval = Required<Pick<CheckpointOptions, "every" | "seconds">>;

/** Exit codes of a run stopped by a signal: 128 + the signal's number, as shells report it. */

export function registerTrain(program: Command): void {
  const command = program
    .command("train")
    .summary("train a spec on data and save the model")
    .description(
      "Train a spec on a data file and save the model.\n" +
        "Prints a progress bar (rows/s, running loss) and per-task metrics after each epoch (on --valid if given, else on the training data as the epoch's own steps scored it, before each update).\n" +
        `The --out folder then holds model.json + weights (TensorFlow.js format), encoding.json, ir.json, spec.mtl, metrics.json, ${RUN_RECORD} (the data's SHA-256 and the options) and a manifest.\n` +
        `A run records its spec, data and options in --out/${RUN_RECORD} as it starts (paths made absolute: --resume works from any working folder), and while training keeps the last checkpoint in --out/checkpoint/ (every minute by default, see --checkpoint-every, and at each epoch's end), deleted once the model is saved. Ctrl-C stops after the current step and saves one (exit 130).\n` +
        "`mtl train --resume DIR` continues a run stopped at any moment (killed too) with its recorded spec, data and options, from its last checkpoint, or from step 0 if it saved none yet; those given again must match, except --epochs, --max-steps, --valid, --skip-bad-rows and --checkpoint-every. " +
        "`mtl train SPEC --data FILE --resume DIR` does the same, and starts the run if DIR holds none: the command to give a scheduler that restarts preempted jobs.\n" +
        "Into a folder holding an unfinished run, a run without --resume is refused (continue it with --resume, or pass --force to start afresh). Over a finished model, the same spec, data and options have nothing to do (exit 0); other ones are refused unless --force replaces the model. A folder that holds no run or model but files a model would overwrite (another tool's model.json, say) is refused unless --force. See docs/reliability.md.\n" +
        "One run at a time per --out folder: it holds --out/.lock while it runs, and a second one is refused.",
    )
    .argument("[spec]", "the .mtl spec (with --resume: by default the recorded one)")
    .option("--data <file>", "training data: .csv/.tsv/.jsonl (optionally .gz) or .parquet (with --resume: by default the recorded one)")
    .option("--valid <file>", "validation data, evaluated after each epoch")
    .option("--out <dir>", "folder to save the trained model in (with --resume: DIR)")
    .option("--epochs <n>", "override the spec's train.epochs (may change on --resume)")
    .option("--batch <n>", "override the spec's train.batch")
    .option("--seed <n>", "override the spec's train.seed")
    .option("--max-steps <n>", "stop after this many training steps")
    .option("--shuffle-buffer <n>", `1 keeps file order; above 1 each epoch takes the rows in a seeded random order (all rows are encoded once and held; default ${DEFAULT_SHUFFLE_BUFFER})`)
    .option("--checkpoint-every <n|time>", "save a checkpoint every N steps, or every TIME such as 90s, 2m, 1h (0: only at the end of each epoch; default 1m)")
    .option("--resume <dir>", "continue the run whose --out folder is DIR (or start it, given the spec and --data)")
    .option("--force", "start afresh, replacing the unfinished run or the finished model in --out")
    .option("--accept-changes", "with --resume: continue although the optimiser settings, train.l2 or the data changed (e.g. after a NaN loss)")
    .option("-q, --quiet", "print only the final metrics")
    .addOption(new Option("--engine <engine>", "tfjs: this process; torch: the spec compiled to PyTorch and trained by N processes (see mtl compile --help)").choices(["tfjs", "torch"]).default("tfjs"))
    .option("--nproc <n>", "with --engine torch: processes on this machine (DistributedDataParallel over gloo; default 1)")
    .option(
      "--threads <n>",
      `threads to compute with (default: the cores this process is given, ${availableCores()} here, cgroup CPU limits honoured). ` +
        "tfjs: the native BLAS's threads for matrix products (wasm backend with OpenBLAS; see MTL_BLAS_THREADS and docs/threads.md); " +
        "torch: intra-op threads per process (default there: the cores divided among the --nproc processes); " +
        "1 also keeps the CSV reader on one thread when MTL_SPLIT_CSV=on",
    );
  addDataOptions(command).action(async (spec: string | undefined, options: TrainCliOptions, self: Command) => {
    process.exitCode = await runTrain(spec, options, (name) => self.getOptionValueSource(name) !== "default");
  });
}

/** What to train: from the command line, completed from the folder's recorded run on --resume. */
interface TrainPlan {
  ir: ValidIR;
  specText: string;
  /** The training data file. */
  data: string;
}

async function runTrain(spec: string | undefined, options: TrainCliOptions, given: (option: string) => boolean): Promise<number> {
  if (options.engine === "torch") return (await import("./train-torch.js")).runTorchTrain(spec, options, given);
  if (options.nproc !== undefined) throw new UsageError("--nproc needs --engine torch: mtl's own trainer runs in this process");
  const out = outputFolder(options);
  const resuming = options.resume !== undefined;
  if (resuming && options.force) throw new UsageError("--force starts afresh and --resume continues: give one of them");
  if (!resuming) {
    if (spec === undefined) throw new UsageError("missing the spec: mtl train SPEC --data FILE --out DIR (or --resume DIR to continue a run)");
    if (options.data === undefined) throw new UsageError("missing --data <file>: the training data");
  }
  if (options.acceptChanges && !resuming) throw new UsageError("--accept-changes only applies with --resume DIR");
  const threads = threadsFlag(options.threads);
  // The data reader's threads too: --threads 1 keeps a large CSV file's read on the main thread even with MTL_SPLIT_CSV=on.
  setReadThreads(threads === 1 ? 1 : null);
  const maxStepsOption = positiveInt("--max-steps", options.maxSteps);
  const shuffleOption = positiveInt("--shuffle-buffer", options.shuffleBuffer);
  const intervalOption = checkpointInterval(options.checkpointEvery);
  const overrides = dataOverrides(options);
  const skipOption = skipBadRows(options);
  const epochs = trainSettingFlag("--epochs", options.epochs, "epochs");
  const batch = trainSettingFlag("--batch", options.batch, "batch");
  const seed = trainSettingFlag("--seed", options.seed, "seed");

  // Held from before the folder is read until the model is saved, on every way out (see out-lock.ts).
  const lock = lockOutput(out);
  let session: CheckpointSession | undefined;
  try {
    const folder = inspectTrainFolder(out);
    if (folder.recordProblem && !options.force) throw folder.recordProblem;
    const status = folderStatus(folder);
    const recorded = resuming ? recordedRun(folder) : null;
    if (resuming && !recorded && (spec === undefined || options.data === undefined)) {
      throw new CheckpointError(`there is no run to resume in ${out} (no ${RUN_RECORD} and no checkpoint): start one with \`mtl train SPEC --data FILE --resume ${out}\``);
    }
    // A damaged checkpoint is loaded too, to be refused with what is wrong and what to do.
    const checkpoint: Checkpoint | undefined = resuming && status !== "finished" && (folder.checkpoint || folder.damaged) ? loadCheckpoint(checkpointDir(out)) : undefined;
    const plan = planFrom(spec, options, recorded);
    if (!plan) return EXIT_ERRORS;
    const { ir } = plan;
    // Epochs only say where to stop: a resume keeps the recorded run's unless told otherwise.
    ir.train.epochs = epochs ?? recorded?.ir.train.epochs ?? ir.train.epochs;
    ir.train.batch = batch ?? ir.train.batch;
    ir.train.seed = seed ?? ir.train.seed;
    const stored = recorded?.run;
    const dataGiven = options.data !== undefined || Object.keys(overrides).length > 0;
    if (stored && options.data === undefined && !existsSync(plan.data)) {
      throw new CheckpointError(`the run in ${out} reads ${plan.data}, which no longer exists: give --data FILE (the same data) to resume it`);
    }
    const read = stored && !dataGiven ? stored.read : readOptionsFor(plan.data, ir.data, overrides);
    const validFile = options.valid ?? stored?.valid?.file;
    const valid = validFile === undefined ? undefined : { file: validFile, read: options.valid === undefined && stored?.valid ? stored.valid.read : readOptionsFor(validFile, ir.data, overridesFor(validFile, ir.data, overrides)) };
    const maxSteps = maxStepsOption ?? stored?.maxSteps ?? undefined;
    const run: SessionRun = {
      ir,
      specText: plan.specText,
      train: { file: plan.data, read },
      ...(valid && { valid }),
      out,
      skipBadRows: stored && !given("skipBadRows") ? stored.skipBadRows : skipOption,
      ...(maxSteps !== undefined && { maxSteps }),
      shuffleBuffer: shuffleOption ?? stored?.shuffleBuffer ?? DEFAULT_SHUFFLE_BUFFER,
    };
    const interval = intervalOption ?? (stored ? { every: stored.checkpointEvery, seconds: stored.checkpointSeconds ?? 0 } : DEFAULT_CHECKPOINT_INTERVAL);
    if (status === "finished" && !options.force) return await nothingToDo(folder, run, interval, options.data !== undefined);

    const start: RunStart = options.force ? "replace" : resuming ? "continue" : "new";
    session = CheckpointSession.open(run, { ...interval, start, ...(checkpoint && { resume: checkpoint }), acceptChanges: Boolean(options.acceptChanges) }, folder);
    if (resuming && !checkpoint && recorded) process.stderr.write(`no checkpoint in ${out} yet: starting the recorded run from step 0\n`);
    return await train(run, session, options, threads);
  } catch (error) {
    if (!(error instanceof TrainingInterrupted)) session?.failed();
    throw error;
  } finally {
    lock.release();
  }
}

/**
 * The run is recorded: now load TensorFlow.js and train (loaded only now, so
 * that a run killed while loading it can already be resumed).
 */
async function train(run: SessionRun, session: CheckpointSession, options: TrainCliOptions, threads: number | undefined): Promise<number> {
  const [{ selectBackend }, { trainModel }, { metricsTable }, { progressReporter }] = await Promise.all([
    import("../../runtime/backend/select.js"),
    import("../../train/trainer.js"),
    import("../../evaluate/report.js"),
    import("../progress.js"),
  ]);
  const backend = await selectBackend(options.backend, threads === undefined ? {} : { threads });
  if (!options.quiet) process.stderr.write(`backend: ${backend.reason}\n`);
  const events = progressReporter({ quiet: Boolean(options.quiet) });
  const stop = stopOnSignals();
  try {
    const result = await trainModel({ ...run, events, checkpoint: session.options, session, stop: stop.signal });
    if (options.quiet) process.stdout.write(metricsTable(result.metrics) + "\n");
    // The process's whole life, so that what is not training (reading, setup, metrics, saving) shows.
    const seconds = (ms: number) => (ms / 1000).toFixed(2);
    const total = performance.now();
    process.stderr.write(`saved the model to ${run.out} after ${result.steps} steps; ${seconds(result.stepMs)} s in training steps, ${seconds(total - result.stepMs)} s besides\n`);
  } catch (error) {
    if (!(error instanceof TrainingInterrupted)) throw error;
    events.stop();
    process.stderr.write(interruptedMessage(error, run.out));
    return signalExitCode(stop.received() ?? "SIGINT");
  } finally {
    events.stop();
    stop.dispose();
  }
  return EXIT_OK;
}

/**
 * Over a finished model: a rerun of the command that made it (the same
 * spec, data and options; a scheduler restarting a job that had in fact
 * completed) has nothing to do. Any other run is refused (see checkSameFinishedRun).
 */
async function nothingToDo(folder: TrainFolder, run: SessionRun, interval: Interval, dataGiven: boolean): Promise<number> {
  try {
    verifyModelDir(folder.out);
  } catch (error) {
    if (error instanceof ModelDirError) throw new ModelDirError(`${error.message}; to train again over it, pass --force`);
    throw error;
  }
  let data: RecordedData = folder.record?.run.data ?? { file: resolve(run.train.file) };
  if (dataGiven || data.sha256 === undefined) {
    try {
      data = await fingerprintDataFile(run.train.file);
    } catch (error) {
      throw fileError(run.train.file, error);
    }
  }
  const now: RunDescription<RecordedData> = describeRun(run, interval, data);
  const record = checkSameFinishedRun(folder, now);
  // Left by a run stopped between saving the model and deleting its checkpoint, or in a write.
  removeStaleTempFiles(folder.out);
  if (existsSync(checkpointDir(folder.out))) removeCheckpoint(checkpointDir(folder.out));
  process.stderr.write(`${folder.out} already holds the finished model of this run (the same spec, data and options; saved ${record.finished ?? record.started}): nothing to do\n`);
  return EXIT_OK;
}

/** --threads N; absent, the BLAS keeps MTL_BLAS_THREADS or its default (the cores available). */
export function threadsFlag(value: string | undefined): number | undefined {
  return intFlag("--threads", value, 1, MAX_THREADS);
}

/** --checkpoint-every: N steps, or a time (90s, 2m, 1h; ms too, for tests), or 0 for epoch ends only. */
function checkpointInterval(value: string | undefined): Interval | undefined {
  if (value === undefined) return undefined;
  if (/^\d+$/.test(value)) return { every: Number(value), seconds: 0 };
  const time = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(value);
  const seconds = time ? Number(time[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[time[2] as "ms" | "s" | "m" | "h"] : 0;
  if (seconds > 0) return { every: 0, seconds };
  throw new UsageError(`--checkpoint-every must be a number of steps (e.g. 500), a time (e.g. 90s, 2m, 1h) or 0, got '${value}'`);
}

function lockOutput(out: string): OutLock {
  try {
    return lockOutFolder(out, (owner, lock) => {
      const left = owner ? `was left by pid ${owner.pid}, which is no longer running` : "was left empty by a run killed while taking it";
      process.stderr.write(`mtl: warning: ${lock} ${left}; taking the folder over\n`);
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
function planFrom(spec: string | undefined, options: TrainCliOptions, recorded: RunDescription<RecordedData> | null): TrainPlan | undefined {
  // runTrain has checked that the spec and --data are given unless a run is recorded.
  const data = options.data ?? recorded!.run.data.file;
  if (spec === undefined) {
    // The recorded spec, with its overrides.
    return { ir: structuredClone(recorded!.ir), specText: recorded!.spec, data };
  }
  const compiled = compileOrReport(spec);
  if (!compiled) return undefined;
  return { ir: structuredClone(compiled.ir), specText: compiled.text, data };
}

function interruptedMessage(error: TrainingInterrupted, out: string): string {
  const saved = error.saved;
  if (saved === null) return `mtl: interrupted before the first checkpoint; the run is recorded in ${out}.\nContinue with: ${resumeCommand(out)} (it starts from step 0)\n`;
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

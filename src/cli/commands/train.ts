import type { Command } from "commander";
import { selectBackend } from "../../runtime/backend/select.js";
import { readOptionsFor } from "../../train/read-options.js";
import { metricsTable } from "../../train/report.js";
import { trainModel } from "../../train/trainer.js";
import { compileOrReport } from "../compile-or-report.js";
import { addDataOptions, dataOverrides, positiveInt, skipBadRows, type DataCliOptions } from "../data-options.js";
import { EXIT_ERRORS, EXIT_OK, UsageError } from "../exit-codes.js";
import { progressReporter } from "../progress.js";

interface TrainCliOptions extends DataCliOptions {
  data: string;
  valid?: string;
  out: string;
  epochs?: string;
  batch?: string;
  seed?: string;
  maxSteps?: string;
  shuffleBuffer: string;
  quiet?: boolean;
}

export function registerTrain(program: Command): void {
  const command = program
    .command("train")
    .summary("train a spec on data and save the model")
    .description(
      "Train a spec on a data file and save the model.\n" +
        "Prints a progress bar (rows/s, running loss) and per-task metrics after each epoch (on --valid if given, else on the training data).\n" +
        "The --out folder then holds model.json + weights (TensorFlow.js format), encoding.json, ir.json, spec.mtl, metrics.json and a manifest.",
    )
    .argument("<spec>", "the .mtl spec")
    .requiredOption("--data <file>", "training data: .csv/.tsv/.jsonl (optionally .gz) or .parquet")
    .option("--valid <file>", "validation data, evaluated after each epoch")
    .requiredOption("--out <dir>", "folder to save the trained model in")
    .option("--epochs <n>", "override the spec's train.epochs")
    .option("--batch <n>", "override the spec's train.batch")
    .option("--seed <n>", "override the spec's train.seed")
    .option("--max-steps <n>", "stop after this many training steps")
    .option("--shuffle-buffer <n>", "rows held in a seeded shuffle buffer (1 keeps file order)", "10000")
    .option("-q, --quiet", "print only the final metrics");
  addDataOptions(command).action(async (spec: string, options: TrainCliOptions) => {
    process.exitCode = await runTrain(spec, options);
  });
}

async function runTrain(spec: string, options: TrainCliOptions): Promise<number> {
  const compiled = compileOrReport(spec);
  if (!compiled) return EXIT_ERRORS;
  const ir = structuredClone(compiled.ir);
  ir.train.epochs = positiveInt("--epochs", options.epochs) ?? ir.train.epochs;
  ir.train.batch = positiveInt("--batch", options.batch) ?? ir.train.batch;
  if (options.seed !== undefined) {
    const seed = Number(options.seed);
    if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed must be a whole number >= 0, got '${options.seed}'`);
    ir.train.seed = seed;
  }
  const maxSteps = positiveInt("--max-steps", options.maxSteps);
  const shuffleBuffer = positiveInt("--shuffle-buffer", options.shuffleBuffer) ?? 1;
  const overrides = dataOverrides(options);
  const skip = skipBadRows(options);
  const backend = await selectBackend(options.backend);
  if (!options.quiet) process.stderr.write(`backend: ${backend.reason}\n`);
  const events = progressReporter({ quiet: Boolean(options.quiet) });
  try {
    const result = await trainModel({
      ir,
      specText: compiled.text,
      train: { file: options.data, read: readOptionsFor(options.data, ir.data, overrides) },
      ...(options.valid && { valid: { file: options.valid, read: readOptionsFor(options.valid, ir.data, overrides) } }),
      out: options.out,
      skipBadRows: skip,
      ...(maxSteps !== undefined && { maxSteps }),
      shuffleBuffer,
      events,
    });
    if (options.quiet) process.stdout.write(metricsTable(result.metrics) + "\n");
    process.stderr.write(`saved the model to ${options.out} after ${result.steps} steps\n`);
  } finally {
    events.stop();
  }
  return EXIT_OK;
}

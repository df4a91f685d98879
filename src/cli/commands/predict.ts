import { Option, type Command } from "commander";
import { createEncoder } from "../../data/encode/index.js";
import { readRecords } from "../../data/readers/index.js";
import { createRecordWriter } from "../../data/writers/index.js";
import { selectBackend } from "../../runtime/backend/select.js";
import { encoderCheck, skippedRows, skipReporter, SkipBudget } from "../../train/bad-rows.js";
import { neededColumns, requireColumns } from "../../train/columns.js";
import { loadModelDir } from "../../model-dir/folder.js";
import { predictRecords, withSkipped } from "../../serve/predict.js";
import { readOptionsFor } from "../../train/read-options.js";
import { addDataOptions, dataOverrides, skipBadRows, type DataCliOptions } from "../data-options.js";
import { EXIT_OK } from "../exit-codes.js";
import { flagged, refuseInsideModel, refuseSameFiles } from "../output.js";

interface PredictCliOptions extends DataCliOptions {
  data: string;
  output?: string;
  outputFormat?: "csv" | "jsonl";
}

export function registerPredict(program: Command): void {
  const command = program
    .command("predict")
    .summary("score rows with a trained model, one column per task")
    .description(
      "Score a data file with a trained model: one output row per input row, in input order, one column per task named after it\n" +
        "(a probability for binary tasks, a value for regression tasks). Label columns are not needed.",
    )
    .argument("<model-dir>", "the --out folder of 'mtl train'")
    .requiredOption("--data <file>", "rows to score")
    .option("-o, --output <file>", "write here (atomically) instead of standard output")
    .addOption(new Option("--output-format <format>", "csv or jsonl (default: from the -o file name, else csv)").choices(["csv", "jsonl"]));
  addDataOptions(command).action(async (dir: string, options: PredictCliOptions) => {
    process.exitCode = await runPredict(dir, options);
  });
}

async function runPredict(dir: string, options: PredictCliOptions): Promise<number> {
  const skip = skipBadRows(options);
  if (options.output !== undefined && options.output !== "-") {
    const output = flagged("--output", options.output);
    refuseSameFiles([output], [flagged("--data", options.data)]);
    refuseInsideModel(output, dir);
  }
  await selectBackend(options.backend);
  const { ir, encoding, model } = await loadModelDir(dir);
  const encoder = createEncoder(ir, encoding);
  const read = readOptionsFor(options.data, ir.data, dataOverrides(options));
  const budget = new SkipBudget(skip, skipReporter((text) => process.stderr.write(text)));
  let readerSkipped = 0;
  const records = readRecords(options.data, read, {
    check: encoderCheck((rows, file) => encoder.encodeFeaturesOnly(rows, file)),
    skipBadRows: Number.POSITIVE_INFINITY,
    onSkip: (error) => {
      budget.take(error);
      readerSkipped++;
    },
  });
  const takeSkipped = () => {
    const n = readerSkipped;
    readerSkipped = 0;
    return n;
  };
  const format = options.outputFormat ?? (options.output && /\.(jsonl|ndjson)$/i.test(options.output) ? "jsonl" : "csv");
  const writer = createRecordWriter(options.output ?? "-", format, ir.tasks.map((t) => t.name));
  try {
    await predictRecords(ir, model, encoder, withSkipped(requireColumns(records, neededColumns(ir, false), options.data, read, (message) => process.stderr.write(message + "\n")), takeSkipped), writer, { batch: 4096, file: options.data, onBadRow: budget.take });
    await writer.close();
  } catch (error) {
    await writer.abort();
    throw error;
  }
  if (budget.skipped.length) process.stderr.write(`${skippedRows(budget.skipped.length)}; their output rows are empty\n`);
  return EXIT_OK;
}

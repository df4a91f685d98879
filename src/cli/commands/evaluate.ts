import type { Command } from "commander";
import { createEncoder } from "../../data/encode/index.js";
import { selectBackend } from "../../runtime/backend/select.js";
import { skippedRows, skipReporter, SkipBudget } from "../../train/bad-rows.js";
import { evaluate } from "../../evaluate/evaluate.js";
import { loadModelDir } from "../../model-dir/folder.js";
import { readOptionsFor } from "../../train/read-options.js";
import { metricsJson, metricsTable } from "../../evaluate/report.js";
import { readLabelled } from "../../train/trainer.js";
import { addDataOptions, dataOverrides, skipBadRows, type DataCliOptions } from "../data-options.js";
import { EXIT_OK } from "../exit-codes.js";

interface EvalCliOptions extends DataCliOptions {
  data: string;
  json?: boolean;
}

export function registerEval(program: Command): void {
  const command = program
    .command("eval")
    .summary("per-task metrics of a trained model on data")
    .description("Evaluate a trained model on a data file: AUC and log loss for binary tasks, RMSE and MAE for regression, each under its task's `where`.")
    .argument("<model-dir>", "the --out folder of 'mtl train'")
    .requiredOption("--data <file>", "data to evaluate on")
    .option("--json", "print the metrics as JSON instead of a table");
  addDataOptions(command).action(async (dir: string, options: EvalCliOptions) => {
    process.exitCode = await runEval(dir, options);
  });
}

async function runEval(dir: string, options: EvalCliOptions): Promise<number> {
  const skip = skipBadRows(options);
  await selectBackend(options.backend);
  const { ir, encoding, model } = await loadModelDir(dir);
  const encoder = createEncoder(ir, encoding);
  const source = { file: options.data, read: readOptionsFor(options.data, ir.data, dataOverrides(options)) };
  // As `mtl train` evaluates (trainer.ts evaluateFile), with every skipped row reported and counted.
  const budget = new SkipBudget(skip, skipReporter((text) => process.stderr.write(text)));
  const records = readLabelled(ir, source, budget, encoder);
  const trainedLabels = encoding.labels;
  const metrics = await evaluate(ir, model, encoder, records, { batch: Math.max(ir.train.batch, 1024), file: source.file, onBadRow: budget.take, ...(trainedLabels && { trainedLabels }) });
  for (const row of metrics) if (row.note) process.stderr.write(`${source.file}: warning: task '${row.task}': ${row.note}\n`);
  if (budget.skipped.length) process.stderr.write(`${skippedRows(budget.skipped.length)}; the metrics leave them out\n`);
  process.stdout.write(options.json ? JSON.stringify(metricsJson(metrics), null, 2) + "\n" : metricsTable(metrics) + "\n");
  return EXIT_OK;
}

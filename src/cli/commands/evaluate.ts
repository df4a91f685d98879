import type { Command } from "commander";
import { createEncoder } from "../../data/encode/index.js";
import { selectBackend } from "../../runtime/backend/select.js";
import { skippedRows, skipReporter, SkipBudget } from "../../train/bad-rows.js";
import { loadModelDir } from "../../model-dir/folder.js";
import { readOptionsFor } from "../../train/read-options.js";
import { metricsJson, metricsTable } from "../../evaluate/report.js";
import { readLabelled } from "../../train/trainer.js";
import { addDataOptions, dataOverrides, skipBadRows, type DataCliOptions } from "../data-options.js";
import { EXIT_OK } from "../exit-codes.js";
import { CALIBRATION_BINS } from "../../metrics/calibration.js";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { evaluate, type TaskEvaluation } from "../../evaluate/evaluate.js";
import { writeEvalReport, type ReportContext } from "../../evaluate/report-page.js";
import { outputError } from "../../data/writers/temp-file.js";
import { UsageError } from "../../errors.js";
import { flagged, refuseInsideModel } from "../output.js";

interface EvalCliOptions extends DataCliOptions {
  data: string;
  json?: boolean;
  groupBy?: string;
  report?: string;
}

export function registerEval(program: Command): void {
  const command = program
    .command("eval")
    .summary("per-task metrics of a trained model on data")
    .description(
      "Evaluate a trained model on a data file, each task under its `where`: AUC, log loss, normalized entropy (NE), calibration " +
        `(mean prediction / positive rate) and expected calibration error (ECE, ${CALIBRATION_BINS} equal-mass bins) for binary tasks; RMSE and MAE for regression. ` +
        "With --group-by, also GAUC: the AUC of each group (e.g. each user) weighted by the group's rows, leaving out (and counting) groups with one class only.",
    )
    .argument("<model-dir>", "the --out folder of 'mtl train'")
    .requiredOption("--data <file>", "data to evaluate on")
    .option("--json", "print the metrics as JSON instead of a table")
    .option("--group-by <column>", "a data column grouping the rows for GAUC, e.g. user_id")
    .option("--report <dir>", "also write a Markdown report (report.md) and an SVG reliability diagram per binary task into this folder");
  addDataOptions(command).action(async (dir: string, options: EvalCliOptions) => {
    process.exitCode = await runEval(dir, options);
  });
}

async function runEval(dir: string, options: EvalCliOptions): Promise<number> {
  const skip = skipBadRows(options);
  if (options.groupBy !== undefined && options.groupBy.trim() === "") throw new UsageError("--group-by needs a column name");
  if (options.report !== undefined) refuseInsideModel(flagged("--report", options.report), dir);
  await selectBackend(options.backend);
  const { ir, encoding, model } = await loadModelDir(dir);
  if (options.groupBy !== undefined && !ir.tasks.some((t) => t.type === "binary")) {
    process.stderr.write(`mtl: warning: --group-by: model '${ir.model.name}' has no binary task, so there is no GAUC to compute\n`);
  }
  const encoder = createEncoder(ir, encoding);
  const source = { file: options.data, read: readOptionsFor(options.data, ir.data, dataOverrides(options)) };
  // As `mtl train` evaluates (trainer.ts evaluateFile), with every skipped row reported and counted.
  const budget = new SkipBudget(skip, skipReporter((text) => process.stderr.write(text)));
  const records = readLabelled(ir, source, budget, encoder);
  const trainedLabels = encoding.labels;
  const metrics = await evaluate(ir, model, encoder, records, { batch: Math.max(ir.train.batch, 1024), file: source.file, onBadRow: budget.take, ...(trainedLabels && { trainedLabels }), ...(options.groupBy !== undefined && { groupBy: options.groupBy }) });
  for (const row of metrics) if (row.note) process.stderr.write(`${source.file}: warning: task '${row.task}': ${row.note}\n`);
  if (budget.skipped.length) process.stderr.write(`${skippedRows(budget.skipped.length)}; the metrics leave them out\n`);
  // The report first: if it cannot be written, the run fails before printing results.
  if (options.report !== undefined) writeReport(options.report, metrics, { model: ir.model.name, data: source.file, ...(options.groupBy !== undefined && { groupBy: options.groupBy }) });
  process.stdout.write(options.json ? JSON.stringify(metricsJson(metrics), null, 2) + "\n" : metricsTable(metrics) + "\n");
  return EXIT_OK;
}

function writeReport(dir: string, metrics: TaskEvaluation[], context: ReportContext): void {
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new UsageError(`--report ${dir} is a file, not a folder: name a folder to write the report into`);
  try {
    const files = writeEvalReport(dir, metrics, context);
    process.stderr.write(`wrote ${files.map((f) => join(dir, f)).join(", ")}\n`);
  } catch (error) {
    const problem = outputError(dir, error);
    throw new UsageError(`cannot write the report into '${dir}': ${problem.message}${problem.hint ? `; ${problem.hint}` : ""}`);
  }
}

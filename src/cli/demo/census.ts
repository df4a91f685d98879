/**
 * `mtl demo`, the first run: specs/census-mmoe.mtl trained on the UCI
 * Census-Income rows the repository ships, split as the census experiment
 * splits them, and each task's test AUC printed beside the MMoE paper's
 * Table 1. The split, the paper's figures and the task names come from
 * src/experiments/census, so the demo and docs/results.md measure one thing.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { CENSUS_DIR, CENSUS_TEST_FILE } from "../../experiments/census/data-files.js";
import { SPLIT_SEED } from "../../experiments/census/experiment.js";
import { PAPER_TABLE_1, TASK_LABELS } from "../../experiments/census/report.js";
import { CENSUS_SPEC, CENSUS_TASKS } from "../../experiments/census/specs.js";
import { splitCensus, type CensusSplit } from "../../experiments/census/split.js";
import { evaluateOn, ExperimentError, taskMetrics, trainSpec } from "../../experiments/spec-run.js";
import { outputError } from "../../data/writers/temp-file.js";
import { selectBackend } from "../../runtime/backend/select.js";
import { DataError } from "../../data/record.js";
import { compileOrReport } from "../compile-or-report.js";
import { EXIT_ERRORS, EXIT_OK } from "../exit-codes.js";
import { progressReporter } from "../progress.js";
import { elapsed, listing, shown, textTable, writeArtifacts } from "./output.js";

export interface CensusDemoOptions {
  rows: number;
  epochs: number;
  out: string;
}

export async function runCensusDemo(options: CensusDemoOptions): Promise<number> {
  const started = Date.now();
  if (!existsSync(CENSUS_TEST_FILE)) {
    throw new DataError(CENSUS_TEST_FILE, null, "the census data is not there (the npm package ships it; a clone has it in data/census-income-kdd)", "restore it with 'git checkout -- data', or run 'mtl demo esmm', which needs no data");
  }
  const compiled = compileOrReport(CENSUS_SPEC);
  if (!compiled) return EXIT_ERRORS;
  const ir = structuredClone(compiled.ir);
  ir.train.epochs = options.epochs;

  const dataDir = join(options.out, "data");
  const split = splitOrReport(dataDir, options.rows);
  const { rows } = split;
  process.stderr.write(
    `splitting ${CENSUS_TEST_FILE}: ${rows.train.toLocaleString("en-US")} training, ${rows.valid.toLocaleString("en-US")} validation, ${rows.test.toLocaleString("en-US")} test rows in ${dataDir}\n`,
  );
  const backend = await selectBackend();
  process.stderr.write(`backend: ${backend.reason}\ntraining ${shown(CENSUS_SPEC)} for ${options.epochs} epoch${options.epochs === 1 ? "" : "s"} of batch ${ir.train.batch}\n`);
  const events = progressReporter({ quiet: false });
  let trained;
  try {
    trained = await trainSpec({ specText: compiled.text, ir, name: "model", train: split.train, valid: split.valid, workDir: options.out, events });
  } finally {
    events.stop();
  }
  const modelDir = join(options.out, "model");
  let test;
  try {
    test = await evaluateOn(trained, split.test);
  } finally {
    trained.dispose();
  }
  const files = await writeArtifacts(ir, modelDir, options.out, "census-mmoe");
  const paper = PAPER_TABLE_1.mmoe;
  const auc = (task: (typeof CENSUS_TASKS)[number]) => {
    const m = taskMetrics(test, task);
    return m.type === "binary" ? m.auc : NaN;
  };
  const table = textTable(
    ["task", "test AUC, this run", "MMoE paper, Table 1: best / mean"],
    CENSUS_TASKS.map((t) => [TASK_LABELS[t], auc(t).toFixed(4), `${paper[t].best.toFixed(4)} / ${paper[t].mean.toFixed(4)}`]),
  );
  const spec = shown(CENSUS_SPEC);
  const data = (name: string) => shown(join(dataDir, name));
  process.stdout.write(`
MMoE on UCI Census-Income (${spec}): ${options.epochs} epoch${options.epochs === 1 ? "" : "s"} on ${rows.train.toLocaleString("en-US")} rows, scored on ${rows.test.toLocaleString("en-US")} held-out rows, in ${elapsed(started)}

${table}

The paper trains on census-income.data (199,523 rows; not shipped, see ${shown(join(CENSUS_DIR, "SOURCE.md"))});
this run splits the ${(rows.train + rows.valid + rows.test).toLocaleString("en-US")} rows of census-income.test 4 : 1 : 1 (seed ${SPLIT_SEED}) as docs/results.md does.

Written:
${listing([
  [`${shown(modelDir)}/`, "the trained model folder (spec, weights, encoding, metrics)"],
  [files.svg, `the architecture: mtl compile ${spec} --target svg -o ${files.svg}`],
  [files.ts, `standalone TypeScript with this model's encoding: mtl compile ${spec} --target ts --model ${shown(modelDir)} -o ${files.ts}`],
  [`${shown(dataDir)}/`, "train.csv, valid.csv, test.csv (raw census lines, as the spec reads them)"],
])}

Next:
${listing([
  [`npx mtl eval ${shown(modelDir)} --data ${data("test.csv")}`, "per-task AUC, log loss, NE, calibration"],
  // Not `| head`: predict stops with an error when its reader closes standard output early.
  [`npx mtl predict ${shown(modelDir)} --data ${data("test.csv")} -o ${shown(join(options.out, "scores.csv"))}`, "one score per task and row"],
  [`npx mtl inspect ${shown(modelDir)} --data ${data("test.csv")}`, "how each task's gate weighs the experts"],
  ["npx mtl demo --epochs 5", "more passes over the training rows"],
  ["npx mtl demo esmm", "ESMM against a clicks-only CVR model"],
  ["npm run experiments -- --only census", "Shared-Bottom, OMoE and MMoE over 3 seeds"],
])}
`);
  return EXIT_OK;
}

/** The experiment's split, its failures as one-line errors: a damaged census file, or a folder that cannot be written. */
function splitOrReport(dataDir: string, rows: number): CensusSplit {
  try {
    return splitCensus(CENSUS_TEST_FILE, dataDir, SPLIT_SEED, rows);
  } catch (error) {
    if (error instanceof ExperimentError) throw new DataError(CENSUS_TEST_FILE, null, error.message, "restore it with 'git checkout -- data'");
    throw outputError(dataDir, error);
  }
}

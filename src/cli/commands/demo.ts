import { join } from "node:path";
import type { Command } from "commander";
import { createEncoder } from "../../data/encode/index.js";
import { readRecords } from "../../data/readers/index.js";
import { esmmColumns, generateEsmm } from "../../data/synthetic/esmm.js";
import { writeGenerated } from "../../data/synthetic/write.js";
import { auc } from "../../metrics/auc.js";
import { selectBackend } from "../../runtime/backend/select.js";
import { loadModelDir } from "../../model-dir/folder.js";
import { collectPredictions } from "../../serve/predict.js";
import { readOptionsFor } from "../../train/read-options.js";
import { trainModel } from "../../train/trainer.js";
import { packageRoot } from "../../util/package-root.js";
import { compileOrReport } from "../compile-or-report.js";
import { intFlag, trainSettingFlag } from "../data-options.js";
import { EXIT_ERRORS, EXIT_OK } from "../exit-codes.js";
import { progressReporter } from "../progress.js";

interface DemoCliOptions {
  rows: string;
  epochs: string;
  out: string;
  spec: string;
}

export function registerDemo(program: Command): void {
  program
    .command("demo")
    .summary("the main job on built-in data: generate, train, evaluate")
    .description(
      "The main job on built-in data, no download: generate synthetic impressions with known pCTR and pCVR,\n" +
        "train an ESMM spec on them, print per-task metrics, and score pCVR against the true conversion outcome\n" +
        "on the entire impression space (the quantity ESMM is designed to get right).",
    )
    .option("--rows <n>", "training rows (a fifth as many more are generated for validation)", "100000")
    .option("--epochs <n>", "training epochs", "2")
    .option("--spec <file>", "the spec to train (its columns must be those of 'mtl generate esmm')", join(packageRoot(), "specs", "esmm.mtl"))
    .option("--out <dir>", "where the data and the model go", join("out", "demo"))
    .action(async (options: DemoCliOptions) => {
      process.exitCode = await runDemo(options);
    });
}

/** The demo trains in this process on what it generates; beyond this it is no longer a demo (and would take hours). */
const MAX_DEMO_ROWS = 10_000_000;

async function runDemo(options: DemoCliOptions): Promise<number> {
  const rows = intFlag("--rows", options.rows, 1, MAX_DEMO_ROWS)!;
  const epochs = trainSettingFlag("--epochs", options.epochs, "epochs")!;
  const compiled = compileOrReport(options.spec);
  if (!compiled) return EXIT_ERRORS;
  const trainFile = join(options.out, "data", "train.csv");
  const validFile = join(options.out, "data", "valid.csv");
  const modelDir = join(options.out, "model");
  const validRows = Math.max(1000, Math.round(rows / 5));
  process.stderr.write(`generating ${rows.toLocaleString("en-US")} + ${validRows.toLocaleString("en-US")} synthetic impressions into ${join(options.out, "data")}\n`);
  await writeGenerated(generateEsmm({ rows: rows + validRows, seed: 1, users: 1000, items: 300, categories: 30 }), esmmColumns(), trainFile, rows, { file: validFile, rows: validRows });

  const ir = structuredClone(compiled.ir);
  ir.train.epochs = epochs;
  const backend = await selectBackend();
  process.stderr.write(`backend: ${backend.reason}\ntraining ${options.spec}\n`);
  const events = progressReporter({ quiet: false });
  try {
    await trainModel({
      ir,
      specText: compiled.text,
      train: { file: trainFile, read: readOptionsFor(trainFile, ir.data) },
      valid: { file: validFile, read: readOptionsFor(validFile, ir.data) },
      out: modelDir,
      skipBadRows: 0,
      shuffleBuffer: 10_000,
      events,
    });
  } finally {
    events.stop();
  }
  await reportEntireSpace(modelDir, validFile);
  const report = join(options.out, "report");
  process.stdout.write(
    `\nmodel saved in ${modelDir}; try:\n  npx mtl predict ${modelDir} --data ${validFile} | head\n` +
      `  npx mtl eval ${modelDir} --data ${validFile} --group-by user_id --report ${report}   # GAUC per user, reliability diagrams\n`,
  );
  return EXIT_OK;
}

/** pCVR scored against `buy_if_clicked`, which the generator draws for every impression, clicked or not. */
async function reportEntireSpace(modelDir: string, validFile: string): Promise<void> {
  const { ir, encoding, model } = await loadModelDir(modelDir);
  const cvr = ir.tasks.find((t) => t.name === "cvr");
  if (!cvr) return;
  const read = readOptionsFor(validFile, ir.data);
  const predicted = await collectPredictions(ir, model, createEncoder(ir, encoding), readRecords(validFile, read), validFile);
  const truth: number[] = [];
  const outcome: number[] = [];
  for await (const record of readRecords(validFile, read)) {
    truth.push(Number(record.fields["true_cvr"]));
    outcome.push(Number(record.fields["buy_if_clicked"]));
  }
  const modelAuc = auc(predicted["cvr"]!, outcome);
  const oracle = auc(truth, outcome);
  process.stdout.write(
    `\npCVR on the entire impression space (${outcome.length.toLocaleString("en-US")} rows, against the conversion each impression would have had if clicked):\n` +
      `  AUC of the model's pCVR: ${modelAuc.toFixed(4)}\n  AUC of the true pCVR:    ${oracle.toFixed(4)}  (the best any model can do)\n`,
  );
}

import { join } from "node:path";
import type { Command } from "commander";
import { CENSUS_TEST_ROWS } from "../../experiments/census/data-files.js";
import { intFlag, trainSettingFlag } from "../data-options.js";

interface DemoCliOptions {
  rows: string;
  epochs: string;
  out: string;
}

/** The ESMM demo trains in this process on what it generates; beyond this it is no longer a demo (and would take hours). */
const MAX_ESMM_ROWS = 10_000_000;

export function registerDemo(program: Command): void {
  const demo = program
    .command("demo")
    // `demo esmm --out X` is esmm's --out, not the census demo's (the program enables it too, as commander needs).
    .enablePositionalOptions()
    .summary("the first run: MMoE on the census data, each task's AUC beside the MMoE paper's (also: demo esmm)")
    .description(
      "The first run, no download: train specs/census-mmoe.mtl (MMoE) on the UCI Census-Income rows shipped in data/census-income-kdd, split 4 : 1 : 1 as docs/results.md does, and print each task's test AUC beside the MMoE paper's Table 1; then write the model folder, its picture and its generated TypeScript. 'mtl demo esmm' is the ESMM walkthrough on synthetic impressions.",
    )
    .option("--rows <n>", `rows of the census file to use, before the split (at most ${CENSUS_TEST_ROWS.toLocaleString("en-US")}, all of them)`, String(CENSUS_TEST_ROWS))
    // Two epochs: on this project's 2-core machine the income AUC reached 0.9345 (one epoch: 0.9235), near the paper's mean.
    .option("--epochs <n>", "training epochs", "2")
    .option("--out <dir>", "where the split data, the model and its picture and TypeScript go", join("out", "demo"))
    .action(async (options: DemoCliOptions) => {
      const rows = intFlag("--rows", options.rows, 6, CENSUS_TEST_ROWS)!;
      const epochs = trainSettingFlag("--epochs", options.epochs, "epochs")!;
      const { runCensusDemo } = await import("../demo/census.js");
      process.exitCode = await runCensusDemo({ rows, epochs, out: options.out });
    });
  demo
    .command("esmm")
    .summary("ESMM beside a clicks-only CVR model on synthetic impressions, scored on pCTCVR over all impressions")
    .description(
      "Generate synthetic impressions whose true pCTR and pCVR are known, train ESMM and a CVR model fitted on clicked impressions only (with its own CTR task) on the same rows, and print both models' CTCVR and CTR AUC over every test impression beside the true probabilities' (the ceiling). The models are those of the ESMM experiment.",
    )
    .option("--rows <n>", "training impressions (as many again are generated for the test, a tenth for validation)", "50000")
    .option("--epochs <n>", "training epochs", "2")
    .option("--out <dir>", "where the data, the two models and ESMM's picture and TypeScript go", join("out", "demo-esmm"))
    .action(async (options: DemoCliOptions) => {
      const rows = intFlag("--rows", options.rows, 1000, MAX_ESMM_ROWS)!;
      const epochs = trainSettingFlag("--epochs", options.epochs, "epochs")!;
      const { runEsmmDemo } = await import("../demo/esmm.js");
      process.exitCode = await runEsmmDemo({ rows, epochs, out: options.out });
    });
}

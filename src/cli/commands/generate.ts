import type { Command } from "commander";
import { esmmColumns, generateEsmm } from "../../data/synthetic/esmm.js";
import { DEFAULT_KEEP_NEGATIVES, esmmLogColumns, generateEsmmLog } from "../../data/synthetic/esmm-log.js";
import { generateMmoe, mmoeColumns } from "../../data/synthetic/mmoe.js";
import { writeGenerated } from "../../data/synthetic/write.js";
import { intFlag, trainSettingFlag } from "../data-options.js";
import { EXIT_OK } from "../exit-codes.js";
import { flagged, refuseSameFiles } from "../output.js";
import { UsageError } from "../../errors.js";

interface GenerateCliOptions {
  rows: string;
  output: string;
  holdout?: string;
  holdoutOutput?: string;
  seed: string;
  correlation: string;
  dim: string;
  ctr?: string;
  cvr?: string;
}

export function registerGenerate(program: Command): void {
  program
    .command("generate")
    .summary("write synthetic data with known ground truth")
    .description(
      "Write synthetic data with known ground truth (.csv, .tsv, .jsonl or .parquet, by file name).\n" +
        "  esmm  impressions: user_id, item_id, category, price, user_age; labels click, purchase (= click and buy), amount;\n" +
        "        ground truth true_ctr, true_cvr (p(buy | click) on every row), true_ctcvr, true_amount, buy_if_clicked\n" +
        "  esmm-log  the esmm impressions as a log keeps them (what specs/esmm-weighted.mtl reads): every clicked row and\n" +
        `        a ${DEFAULT_KEEP_NEGATIVES} chance for the others; last_item_id (the user's previous item), imp_weight (1 / that chance), order_weight\n` +
        "  mmoe  the MMoE paper's two regression tasks with correlation p: x0..x{dim-1}, y1, y2, and noise-free f1, f2",
    )
    .argument("<kind>", "esmm, esmm-log or mmoe")
    .requiredOption("--rows <n>", "rows to write to --output")
    .requiredOption("-o, --output <file>", "where to write them")
    .option("--holdout <n>", "also write this many further rows (same synthetic world) to --holdout-output")
    .option("--holdout-output <file>", "the holdout file, e.g. valid.csv")
    .option("--seed <n>", "random seed", "1")
    .option("--correlation <p>", "mmoe: task correlation p in [-1, 1]", "0.9")
    .option("--dim <n>", "mmoe: input dimension", "100")
    .option("--ctr <rate>", "esmm, esmm-log: target click rate (default 0.04)")
    .option("--cvr <rate>", "esmm, esmm-log: target purchases per click (default 0.1)")
    .action(async (kind: string, options: GenerateCliOptions) => {
      process.exitCode = await runGenerate(kind, options);
    });
}

/** Rows per file: about 100 GB of CSV, far beyond any use here, but a typo like 1e20 is refused before the disk fills. */
const MAX_ROWS = 1_000_000_000;
/** mmoe's input dimension: x0..x{dim-1} are columns of every row. */
const MAX_DIM = 10_000;

async function runGenerate(kind: string, options: GenerateCliOptions): Promise<number> {
  const rows = intFlag("--rows", options.rows, 1, MAX_ROWS)!;
  const holdoutRows = intFlag("--holdout", options.holdout, 1, MAX_ROWS);
  if ((holdoutRows === undefined) !== (options.holdoutOutput === undefined)) throw new UsageError("--holdout and --holdout-output go together");
  const holdout = holdoutRows !== undefined ? { rows: holdoutRows, file: options.holdoutOutput! } : undefined;
  if (holdout) refuseSameFiles([flagged("--output", options.output), flagged("--holdout-output", holdout.file)], []);
  const total = rows + (holdoutRows ?? 0);
  // The spec's seed range: a seed beyond 2^53 would be rounded into another seed's data.
  const seed = trainSettingFlag("--seed", options.seed, "seed")!;
  if (kind === "esmm" || kind === "esmm-log") {
    const rate = (name: string, v: string | undefined) => {
      if (v === undefined) return undefined;
      const x = Number(v);
      if (!(x > 0 && x < 1)) throw new UsageError(`${name} must be a rate between 0 and 1, got '${v}'`);
      return x;
    };
    const ctr = rate("--ctr", options.ctr);
    const cvr = rate("--cvr", options.cvr);
    const world = { rows: total, seed, ...(ctr !== undefined && { ctr }), ...(cvr !== undefined && { cvr }) };
    if (kind === "esmm") await writeGenerated(generateEsmm(world), esmmColumns(), options.output, rows, holdout);
    else await writeGenerated(generateEsmmLog(world), esmmLogColumns(), options.output, rows, holdout);
  } else if (kind === "mmoe") {
    const correlation = Number(options.correlation);
    if (!(correlation >= -1 && correlation <= 1)) throw new UsageError(`--correlation must be in [-1, 1], got '${options.correlation}'`);
    const inputDim = intFlag("--dim", options.dim, 2, MAX_DIM)!;
    await writeGenerated(generateMmoe({ rows: total, correlation, inputDim, seed }), mmoeColumns(inputDim), options.output, rows, holdout);
  } else {
    throw new UsageError(`unknown kind '${kind}'; use esmm, esmm-log or mmoe`);
  }
  return EXIT_OK;
}

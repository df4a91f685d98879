/**
 * `npm run experiments`: do the models behave as the papers say?
 *
 *   node dist/src/experiments/main.js [--size tiny|reduced|full] [--only mmoe|esmm|census]... [--out DIR]
 *
 * Writes DIR/results.md (default: the project's docs/) with tables, and the
 * figures and specs in DIR/results/. Exit codes: 0 done, 1 an experiment
 * failed, 2 bad arguments.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { packageRoot } from "../util/package-root.js";
import { EXPERIMENT_IDS, SIZES, type ExperimentId, type Size } from "./report/types.js";
import { DataError } from "../data/record.js";
import { runExperiments } from "./run.js";
import { ExperimentError } from "./spec-run.js";

const USAGE = `usage: npm run experiments -- [--size tiny|reduced|full] [--only mmoe|esmm|census]... [--out DIR]

  --size   tiny: seconds per experiment (what the test runs); reduced (default): about three minutes
           for all three on a 2-core machine; full: the patient user's size
  --only   run only these experiments (repeat the flag, or separate with commas); default all
  --out    folder for results.md and results/ (default: the project's docs/)
`;

class UsageError extends Error {}

function parse(argv: string[]): { size: Size; only: ExperimentId[]; out: string; command: string } | "help" {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { size: { type: "string" }, only: { type: "string", multiple: true }, out: { type: "string" }, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return "help";
  const size = values.size ?? "reduced";
  if (!(SIZES as readonly string[]).includes(size)) throw new UsageError(`--size must be one of ${SIZES.join(", ")}, got '${size}'`);
  const only = (values.only ?? []).flatMap((v) => v.split(",")).map((v) => v.trim());
  for (const id of only) {
    if (!(EXPERIMENT_IDS as readonly string[]).includes(id)) throw new UsageError(`--only takes ${EXPERIMENT_IDS.join(", ")}; got '${id}'`);
  }
  const command = ["npm run experiments", ...(argv.length ? ["--", ...argv] : [])].join(" ");
  return { size: size as Size, only: only as ExperimentId[], out: values.out ?? join(packageRoot(), "docs"), command };
}

async function main(argv: string[]): Promise<number> {
  let options;
  try {
    options = parse(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`error: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (options === "help") {
    process.stdout.write(USAGE);
    return 0;
  }
  try {
    await runExperiments({ ...options, log: (line) => process.stderr.write(line + "\n") });
    return 0;
  } catch (error) {
    // Problems with the data or the experiment are explained by their message; anything else is a bug: show where.
    const text = error instanceof DataError ? error.render() : error instanceof ExperimentError ? `error: ${error.message}` : `error: ${(error as Error).stack ?? String(error)}`;
    process.stderr.write(`\n${text}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));

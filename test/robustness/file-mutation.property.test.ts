/**
 * Properties (see parquet-mutation.ts and model-mutation.ts): whatever
 * happens to the bytes of a Parquet file or to the files of a trained model
 * folder, reading or loading it works or is refused in one line without
 * internals; never another exception, never a hang (each case runs under the
 * watchdog of mutation-worker.ts).
 *
 * CI runs a small fixed-seed budget of each (a few seconds, plus a few to
 * train the model to damage). The long run is `npm run fuzz -- --target
 * parquet` (or model): bench/fuzz.ts.
 *
 * MTL_FUZZ_PARQUET_RUNS / MTL_FUZZ_MODEL_RUNS change the counts here;
 * MTL_FUZZ_SEED replays a seed.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { tempDir } from "../helpers/cli.js";
import { runWatched, trainModelFolder, type FileTarget, type MutationReport } from "./mutation-worker.js";

const SEED = process.env["MTL_FUZZ_SEED"] !== undefined ? Number(process.env["MTL_FUZZ_SEED"]) : 20_261_206;
const STALL_MS = 20_000;

function runsFrom(name: string, fallback: number): number {
  const n = Number(process.env[name]);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

async function check(target: FileTarget, dir: string, runs: number): Promise<MutationReport> {
  const report = await runWatched({ target, dir, seed: SEED, runs, seconds: null, path: null }, STALL_MS);
  assert.equal(
    report.failed,
    false,
    `${target} counterexample (seed ${SEED}, path ${report.counterexamplePath}): ${report.counterexample}\n${report.error}\nmutant left at ${report.mutant}`,
  );
  assert.equal(report.numRuns, runs);
  // The generator must exercise both outcomes, or the property says little.
  assert.ok(report.refused > runs / 10 && report.ok > 0, `${target}: ${report.ok} worked, ${report.refused} refused`);
  return report;
}

test("mutated Parquet files: the same rows' shape or a one-line file error; never another exception or a hang", async (t) => {
  const runs = runsFrom("MTL_FUZZ_PARQUET_RUNS", 300);
  const report = await check("parquet", tempDir("parquet-mutation").dir, runs);
  t.diagnostic(`seed ${SEED}: ${runs} mutants, ${report.ok} read, ${report.refused} refused`);
});

test("mutated model folders (a file damaged, the manifest rewritten to match or not): loads and scores, or a one-line refusal; never another exception or a hang", async (t) => {
  const runs = runsFrom("MTL_FUZZ_MODEL_RUNS", 30);
  const { dir } = tempDir("model-mutation");
  await trainModelFolder(dir);
  const report = await check("model", dir, runs);
  t.diagnostic(`seed ${SEED}: ${runs} mutants, ${report.ok} loaded, ${report.refused} refused`);
});

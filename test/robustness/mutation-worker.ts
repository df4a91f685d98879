/**
 * Runs the Parquet or model-folder mutation property in a worker thread,
 * under a watchdog: a decoder stuck in a loop blocks its thread, so a hang
 * can only be caught, and named, from outside it. The worker reports each
 * case before running it; when no report comes for `stallMs`, the worker is
 * ended and the case it was on is the counterexample.
 *
 * Used by file-mutation.property.test.ts (CI) and bench/fuzz.ts.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import fc from "fast-check";
import { runCli } from "../helpers/cli.js";
import { cliFrom } from "../helpers/paths.js";
import { smallRun } from "../train/checkpoint/fixtures.js";
import { modelProperty, modelSeed, type ModelStats } from "./model-mutation.js";
import { mutateBytes } from "./byte-mutation.js";
import { checkParquetBytes, parquetProperty, parquetSeeds, type ParquetCase, type ParquetSeed, type ParquetStats } from "./parquet-mutation.js";

export type FileTarget = "parquet" | "model";

export interface MutationRun {
  target: FileTarget;
  /** A scratch folder; for "model" it must hold the trained folder `model` (trainModelFolder). */
  dir: string;
  seed: number;
  runs: number | null;
  seconds: number | null;
  path: string | null;
  /** "parquet" only: these cases in order instead of generated ones (a deterministic scan). */
  cases?: ParquetCase[];
}

export interface MutationReport {
  numRuns: number;
  failed: boolean;
  interrupted: boolean;
  /** The failing (shrunk) case, or the case that hung, as JSON. */
  counterexample: string | null;
  counterexamplePath: string | null;
  error: string | null;
  /** Cases read/loaded cleanly and cases refused. */
  ok: number;
  refused: number;
  /** The case hung: no report for this many ms. */
  stalledMs?: number;
  /** Where the mutant of the counterexample is (the file or folder the property wrote last). */
  mutant: string;
}

/** The file or folder each case is written to, inside the run's folder. */
export function mutantPath(run: Pick<MutationRun, "target" | "dir">): string {
  return join(run.dir, run.target === "parquet" ? "mutant.parquet" : "mutant-model");
}

/** Trains the small model the model-folder property damages, into `dir`/model (a few seconds). */
export async function trainModelFolder(dir: string): Promise<void> {
  if (existsSync(join(dir, "model", "manifest.json"))) return;
  const { spec, data } = await smallRun(dir, 200);
  const trained = runCli(cliFrom(import.meta.url), ["train", spec, "--data", data, "--out", "model", "--max-steps", "2", "--quiet"], { cwd: dir });
  if (trained.status !== 0) throw new Error(`training the model to damage failed: ${trained.stderr}`);
}

const STARTUP_MS = 120_000;

/** Runs `run` in a worker; resolves with its report, or the case it hung on. */
export function runWatched(run: MutationRun, stallMs: number): Promise<MutationReport> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: run });
    let current: string | null = null;
    let runs = 0;
    let timer: NodeJS.Timeout | undefined;
    // Until the first case, the worker loads modules and writes its seeds: no case is to blame yet.
    const arm = (ms = stallMs): void => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        void worker.terminate();
        resolve({
          numRuns: runs,
          failed: true,
          interrupted: false,
          counterexample: current,
          counterexamplePath: null,
          error: current === null ? `the worker did not start within ${ms} ms` : `no result after ${ms} ms: the case hangs`,
          ok: 0,
          refused: 0,
          stalledMs: ms,
          mutant: mutantPath(run),
        });
      }, ms);
    };
    arm(STARTUP_MS);
    worker.on("message", (message: { case: string } | { report: MutationReport }) => {
      if ("case" in message) {
        current = message.case;
        runs++;
        arm();
      } else {
        clearTimeout(timer);
        resolve(message.report);
      }
    });
    worker.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

async function work(run: MutationRun, announce: (c: unknown) => void): Promise<MutationReport> {
  const stats: ParquetStats & ModelStats = { read: 0, refused: 0, loaded: 0 };
  const mutant = mutantPath(run);
  // The two cases' types differ; the worker only runs and reports them.
  let property: fc.IAsyncProperty<[unknown]>;
  if (run.target === "parquet") {
    const seeds = await parquetSeeds(run.dir);
    if (run.cases) return scan(run.cases, seeds, mutant, stats, announce);
    property = parquetProperty(seeds, mutant, stats, announce) as fc.IAsyncProperty<[unknown]>;
  } else {
    const { selectBackend } = await import("../../src/runtime/backend/select.js");
    await selectBackend();
    property = modelProperty(modelSeed(join(run.dir, "model")), mutant, stats, announce) as fc.IAsyncProperty<[unknown]>;
  }
  const details = await fc.check(property, {
    seed: run.seed,
    numRuns: run.runs ?? Number.MAX_SAFE_INTEGER,
    ...(run.path !== null && { path: run.path }),
    ...(run.seconds !== null && { plugins: [fc.interruptAfterTimeLimit(run.seconds * 1000)] }),
  });
  const error = details.errorInstance instanceof Error ? details.errorInstance.message : details.failed ? String(details.errorInstance) : null;
  const counterexample = details.counterexample as [unknown] | null;
  // Leave the shrunk counterexample's mutant on disk (shrinking wrote others since); it fails again, as a result.
  if (details.failed && counterexample !== null) await property.run(counterexample);
  return {
    numRuns: details.numRuns,
    failed: details.failed,
    interrupted: details.interrupted,
    counterexample: counterexample === null ? null : JSON.stringify(counterexample[0]),
    counterexamplePath: details.counterexamplePath,
    error,
    ok: stats.read + stats.loaded,
    refused: stats.refused,
    mutant,
  };
}

async function scan(cases: ParquetCase[], seeds: ParquetSeed[], mutant: string, stats: ParquetStats, announce: (c: unknown) => void): Promise<MutationReport> {
  const report = (numRuns: number, failed: ParquetCase | null, error: string | null): MutationReport => ({
    numRuns,
    failed: failed !== null,
    interrupted: false,
    counterexample: failed === null ? null : JSON.stringify(failed),
    counterexamplePath: null,
    error,
    ok: stats.read,
    refused: stats.refused,
    mutant,
  });
  for (const [i, c] of cases.entries()) {
    announce(c);
    const seed = seeds[c[0]]!;
    try {
      await checkParquetBytes(seed, mutateBytes(seed.bytes, c[1]), mutant, stats);
    } catch (err) {
      return report(i + 1, c, err instanceof Error ? err.message : String(err));
    }
  }
  return report(cases.length, null, null);
}

if (!isMainThread && parentPort !== null) {
  const port = parentPort;
  void work(workerData as MutationRun, (c) => port.postMessage({ case: JSON.stringify(c) })).then((report) => port.postMessage({ report }));
}

/**
 * Experiment 3: Shared-Bottom, OMoE and MMoE on UCI Census-Income (MMoE
 * paper, section 6.3, first task group): income above 50K and never married.
 * One fixed split (see split.ts); each seed trains the three models with that
 * seed, and the test AUC after the last epoch is reported (the validation
 * split is scored after every epoch, as the trainer does, but nothing is
 * tuned or stopped on it).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { CENSUS_TEST_FILE } from "./data-files.js";
import { ARCHITECTURES, parameterMatched, type Architecture, type TrainSettings } from "../architectures.js";
import type { ExperimentContext, Size } from "../report/types.js";
import type { GateInspection } from "../../inspect/gates.js";
import { compileSpec, evaluateOn, ExperimentError, inspectOn, taskMetrics, trainSpec } from "../spec-run.js";
import { splitCensus, toParquet, type CensusSplit } from "./split.js";
import { CENSUS_TASKS, censusParts, censusSpec } from "./specs.js";
import { seedRange } from "../stats.js";

/** The split is the same for every seed and size (a smaller size keeps the first rows before shuffling). */
export const SPLIT_SEED = 2018;

export interface CensusSize {
  /** Rows of the file used (all when undefined). */
  rows?: number;
  epochs: number;
  batch: number;
  lr: number;
  seeds: number[];
}


export const CENSUS_SIZES: Readonly<Record<Size, CensusSize>> = {
  tiny: { rows: 3_000, epochs: 1, batch: 256, lr: 0.001, seeds: [1] },
  reduced: { epochs: 2, batch: 512, lr: 0.001, seeds: seedRange(1, 3) },
  full: { epochs: 10, batch: 256, lr: 0.001, seeds: seedRange(1, 10) },
};

export type CensusTask = (typeof CENSUS_TASKS)[number];

export interface CensusRun {
  arch: Architecture;
  seed: number;
  testAuc: Record<CensusTask, number>;
  validAuc: Record<CensusTask, number>;
  seconds: number;
  /** MMoE runs: what its gates do on the test rows (`mtl inspect`). */
  gates?: GateInspection;
}

export interface CensusResults {
  size: CensusSize;
  split: CensusSplit["rows"];
  runs: CensusRun[];
  params: Record<Architecture, number>;
  bottomUnits: number;
  specs: Record<Architecture, string>;
}

export async function runCensus(ctx: ExperimentContext): Promise<CensusResults> {
  if (!existsSync(CENSUS_TEST_FILE)) {
    throw new ExperimentError(`the census data is not at ${CENSUS_TEST_FILE}; the repository ships it in data/census-income-kdd (see its SOURCE.md); restore it with 'git checkout -- data'`);
  }
  const size = CENSUS_SIZES[ctx.size];
  const parts = censusParts();
  const settings = (seed: number): TrainSettings => ({ lr: size.lr, batch: size.batch, epochs: size.epochs, seed });
  const csv = splitCensus(CENSUS_TEST_FILE, join(ctx.workDir, "data"), SPLIT_SEED, size.rows);
  const split = await toParquet(csv, compileSpec(censusSpec(parts, "mmoe", 1, settings(1)), "census-mmoe.mtl").data);
  ctx.log(`split ${CENSUS_TEST_FILE}: ${split.rows.train} train, ${split.rows.valid} validation, ${split.rows.test} test rows`);

  const { bottomUnits, params } = parameterMatched((arch, units) => censusSpec(parts, arch, units, settings(1)));
  const specFor = (arch: Architecture, seed: number) => censusSpec(parts, arch, bottomUnits, settings(seed));
  ctx.log(`parameters: ${ARCHITECTURES.map((a) => `${a} ${params[a]}`).join(", ")} (Shared-Bottom width ${bottomUnits})`);

  const runs: CensusRun[] = [];
  for (const seed of size.seeds) {
    for (const arch of ARCHITECTURES) {
      const started = Date.now();
      const trained = await trainSpec({ specText: specFor(arch, seed), name: `${arch}-seed${seed}`, train: split.train, valid: split.valid, workDir: ctx.workDir });
      try {
        const test = await evaluateOn(trained, split.test);
        const aucOf = (evaluation: Parameters<typeof taskMetrics>[0]) =>
          Object.fromEntries(CENSUS_TASKS.map((t) => [t, binaryAuc(taskMetrics(evaluation, t))])) as Record<CensusTask, number>;
        const gates = arch === "mmoe" ? await inspectOn(trained, split.test) : undefined;
        const run: CensusRun = { arch, seed, testAuc: aucOf(test), validAuc: aucOf(trained.validHistory.at(-1)!), seconds: (Date.now() - started) / 1000, ...(gates && { gates }) };
        runs.push(run);
        ctx.log(`seed ${seed}, ${arch}: test AUC income ${run.testAuc.income.toFixed(4)}, marital ${run.testAuc.marital.toFixed(4)} (${run.seconds.toFixed(0)} s)`);
      } finally {
        trained.dispose();
      }
    }
  }
  return { size, split: split.rows, runs, params, bottomUnits, specs: Object.fromEntries(ARCHITECTURES.map((a) => [a, specFor(a, size.seeds[0]!)])) as Record<Architecture, string> };
}

function binaryAuc(m: ReturnType<typeof taskMetrics>): number {
  if (m.type !== "binary") throw new ExperimentError(`expected a binary task, got ${m.type}`);
  return m.auc;
}

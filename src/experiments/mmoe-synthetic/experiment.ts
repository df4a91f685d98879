/**
 * Experiment 1: MMoE, OMoE and Shared-Bottom on synthetic tasks of controlled
 * correlation (MMoE paper, section 5). For every seed and correlation one data
 * set is generated (the seed fixes the directions u1, u2, the sinusoids, the
 * inputs and the noise, so the correlations of one seed differ in p alone) and
 * the three models are trained on it with that seed, so the comparisons
 * between models and between correlations are paired.
 */
import { join } from "node:path";
import { generateMmoe, MMOE_DEFAULTS, mmoeFeatureColumns } from "../../data/synthetic/mmoe.js";
import { writeGenerated } from "../../data/synthetic/write.js";
import { ARCHITECTURES, parameterMatched, type Architecture, type TrainSettings } from "../architectures.js";
import type { GateInspection } from "../../inspect/gates.js";
import { taskMetrics, trainSpec, evaluateOn, inspectOn } from "../spec-run.js";
import type { ExperimentContext, Size, RunSize } from "../report/types.js";
import { SYNTHETIC_TASKS, syntheticSpec } from "./specs.js";
import { seedRange } from "../stats.js";

export interface SyntheticSize extends RunSize {
  correlations: number[];
}


export const SYNTHETIC_SIZES: Readonly<Record<Size, SyntheticSize>> = {
  tiny: { trainRows: 600, validRows: 200, testRows: 400, epochs: 1, batch: 64, lr: 0.001, seeds: [1], correlations: [1, 0.5] },
  reduced: { trainRows: 6_000, validRows: 1_000, testRows: 4_000, epochs: 4, batch: 64, lr: 0.001, seeds: seedRange(1, 3), correlations: [1, 0.9, 0.5] },
  full: { trainRows: 50_000, validRows: 5_000, testRows: 20_000, epochs: 15, batch: 128, lr: 0.001, seeds: seedRange(1, 10), correlations: [1, 0.9, 0.7, 0.5, 0.3] },
};

/** The columns written: inputs and labels (the noise-free targets f1, f2 are not needed). */
const COLUMNS = [...mmoeFeatureColumns(MMOE_DEFAULTS.inputDim), "y1", "y2"];

export interface SyntheticRun {
  arch: Architecture;
  correlation: number;
  seed: number;
  /** Test MSE per task, and their mean (the "test loss"). */
  test: { y1: number; y2: number; mean: number };
  /** Validation MSE (mean over the tasks) after each epoch. */
  validCurve: number[];
  steps: number;
  seconds: number;
  /** MMoE runs: what its gates do on the test rows (`mtl inspect`). */
  gates?: GateInspection;
}

export interface SyntheticResults {
  size: SyntheticSize;
  runs: SyntheticRun[];
  params: Record<Architecture, number>;
  bottomUnits: number;
  specs: Record<Architecture, string>;
}

export async function runSynthetic(ctx: ExperimentContext): Promise<SyntheticResults> {
  const size = SYNTHETIC_SIZES[ctx.size];
  const inputDim = MMOE_DEFAULTS.inputDim;
  const settings = (seed: number): TrainSettings => ({ lr: size.lr, batch: size.batch, epochs: size.epochs, seed });
  const { bottomUnits, params } = parameterMatched((arch, units) => syntheticSpec(arch, units, settings(1), inputDim));
  const specFor = (arch: Architecture, seed: number) => syntheticSpec(arch, bottomUnits, settings(seed), inputDim);
  ctx.log(`parameters: ${ARCHITECTURES.map((a) => `${a} ${params[a]}`).join(", ")} (Shared-Bottom width ${bottomUnits})`);

  const runs: SyntheticRun[] = [];
  for (const seed of size.seeds) {
    for (const correlation of size.correlations) {
      const dir = join(ctx.workDir, `seed${seed}-corr${correlation}`);
      const files = await writeSyntheticData(dir, size, correlation, seed);
      for (const arch of ARCHITECTURES) {
        const started = Date.now();
        const trained = await trainSpec({ specText: specFor(arch, seed), name: arch, ...files, workDir: dir });
        try {
          const evaluation = await evaluateOn(trained, files.test);
          const mse = (task: string) => squared(taskMetrics(evaluation, task));
          const test = { y1: mse("y1"), y2: mse("y2"), mean: (mse("y1") + mse("y2")) / 2 };
          const validCurve = trained.validHistory.map((epoch) => SYNTHETIC_TASKS.reduce((s, t) => s + squared(taskMetrics(epoch, t.name)), 0) / SYNTHETIC_TASKS.length);
          const gates = arch === "mmoe" ? await inspectOn(trained, files.test) : undefined;
          const seconds = (Date.now() - started) / 1000;
          runs.push({ arch, correlation, seed, test, validCurve, steps: trained.steps, seconds, ...(gates && { gates }) });
          ctx.log(`seed ${seed}, correlation ${correlation}, ${arch}: test MSE ${test.mean.toFixed(4)} (${trained.steps} steps, ${seconds.toFixed(0)} s)`);
        } finally {
          trained.dispose();
        }
      }
    }
  }
  return { size, runs, params, bottomUnits, specs: Object.fromEntries(ARCHITECTURES.map((a) => [a, specFor(a, size.seeds[0]!)])) as Record<Architecture, string> };
}

export function squared(m: ReturnType<typeof taskMetrics>): number {
  if (m.type !== "regression") throw new Error(`expected a regression task, got ${m.type}`);
  return m.rmse * m.rmse;
}

/** One stream of rows, cut into train, validation and test files (Parquet: read several times faster than CSV). */
export async function writeSyntheticData(dir: string, size: SyntheticSize, correlation: number, seed: number): Promise<{ train: string; valid: string; test: string }> {
  const files = { train: join(dir, "train.parquet"), valid: join(dir, "valid.parquet"), test: join(dir, "test.parquet") };
  const rows = generateMmoe({ rows: size.trainRows + size.validRows + size.testRows, correlation, seed });
  await writeGenerated(rows, COLUMNS, files.train, size.trainRows, { file: files.valid, rows: size.validRows });
  await writeGenerated(rows, COLUMNS, files.test, size.testRows);
  return files;
}

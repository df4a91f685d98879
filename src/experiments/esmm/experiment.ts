/**
 * Experiment 2: ESMM against a naive CVR model trained on clicks only (ESMM
 * paper). Each seed draws a new synthetic world and its impressions (true
 * pCTR and pCVR known for every row, and `buy_if_clicked`, the conversion the
 * impression would have had if clicked) and trains the models of specs.ts on
 * it with that seed. Scores on the test impressions:
 *   CVR AUC, click space    pCVR against purchase, on clicked rows (what a log can measure)
 *   CVR AUC, entire space   pCVR against buy_if_clicked, on all rows (what ranking needs)
 *   CTCVR AUC               pCTR * pCVR against purchase, on all rows
 * The same AUCs of the true probabilities are the ceiling any model can reach.
 */
import { join } from "node:path";
import { esmmColumns, generateEsmm, type EsmmSyntheticOptions } from "../../data/synthetic/esmm.js";
import { writeGenerated } from "../../data/synthetic/write.js";
import { auc } from "../../metrics/auc.js";
import type { TrainSettings } from "../architectures.js";
import type { ExperimentContext, Size, RunSize } from "../report/types.js";
import { ExperimentError, predictOn, readColumns, trainSpec } from "../spec-run.js";
import { CVR_MODELS, ESMM_MODELS, esmmSpec } from "./specs.js";
import { seedRange } from "../stats.js";

export type EsmmSize = RunSize;


export const ESMM_SIZES: Readonly<Record<Size, EsmmSize>> = {
  tiny: { trainRows: 4_000, validRows: 1_000, testRows: 5_000, epochs: 1, batch: 256, lr: 0.001, seeds: [1] },
  reduced: { trainRows: 80_000, validRows: 5_000, testRows: 50_000, epochs: 2, batch: 512, lr: 0.001, seeds: seedRange(1, 3) },
  full: { trainRows: 500_000, validRows: 50_000, testRows: 200_000, epochs: 3, batch: 512, lr: 0.001, seeds: seedRange(1, 10) },
};

/** The world of `mtl demo`: small enough for ids to be learnt from 100k impressions; CTR 4%, CVR 10%. */
export const ESMM_WORLD = { users: 1000, items: 300, categories: 30, ctr: 0.04, cvr: 0.1 } as const satisfies Omit<EsmmSyntheticOptions, "rows" | "seed">;

export const ESMM_METRICS = ["cvrClick", "cvrEntire", "ctcvr", "ctr"] as const;
export type EsmmMetric = (typeof ESMM_METRICS)[number];

export interface EsmmScores {
  auc: Record<EsmmMetric, number>;
  /** Mean pCVR over all impressions and over clicked ones (the truth has its own entry). */
  meanCvr: { entire: number; clicked: number };
}

export interface EsmmRun {
  /** An id of specs.ts's ESMM_MODELS. */
  model: string;
  seed: number;
  scores: EsmmScores;
}

export interface EsmmResults {
  size: EsmmSize;
  runs: EsmmRun[];
  /** The true probabilities' scores, per seed. */
  truth: { seed: number; scores: EsmmScores; rows: { test: number; clicks: number; purchases: number } }[];
  /** Training and scoring time of each model (by id), summed over seeds. */
  seconds: Record<string, number>;
  specs: Record<string, string>;
}

/** Columns of the generated data that score the models: outcomes and true probabilities, never model inputs. */
export const TRUTH_COLUMNS = ["click", "purchase", "buy_if_clicked", "true_ctr", "true_cvr", "true_ctcvr"] as const;

export async function runEsmm(ctx: ExperimentContext): Promise<EsmmResults> {
  const size = ESMM_SIZES[ctx.size];
  const settings = (seed: number): TrainSettings => ({ lr: size.lr, batch: size.batch, epochs: size.epochs, seed });
  const runs: EsmmRun[] = [];
  const truth: EsmmResults["truth"] = [];
  const seconds: Record<string, number> = Object.fromEntries(ESMM_MODELS.map((m) => [m.id, 0]));
  for (const seed of size.seeds) {
    const dir = join(ctx.workDir, `seed${seed}`);
    const files = await writeEsmmData(dir, size, seed);
    let columns: Record<(typeof TRUTH_COLUMNS)[number], Float64Array> | undefined;
    const predictions: Record<string, Record<string, Float32Array>> = {};
    for (const { id: model } of ESMM_MODELS) {
      const started = Date.now();
      const trained = await trainSpec({ specText: esmmSpec(model, settings(seed)), name: model, train: files.train, valid: files.valid, workDir: dir });
      try {
        columns ??= await readColumns(files.test, trained.ir, TRUTH_COLUMNS);
        predictions[model] = await predictOn(trained, files.test);
      } finally {
        trained.dispose();
      }
      seconds[model] += (Date.now() - started) / 1000;
    }
    const c = columns!;
    for (const { id: model, pctrFrom } of CVR_MODELS) {
      // A model's pCTR is its own, or another model's (naive's is the CTR model's).
      const pctr = need(predictions[pctrFrom ?? model]!, "ctr");
      const own = predictions[model]!;
      // A model without a pCVR of its own (AITM predicts the funnel's steps) implies pCVR = pCTCVR / pCTR.
      const cvr = own["cvr"] ?? (own["ctcvr"] ? impliedCvr(own["ctcvr"], pctr) : need(own, "cvr"));
      const ctcvr = own["ctcvr"] ?? pctr.map((p, i) => p * cvr[i]!);
      const scores = score(c, pctr, cvr, ctcvr);
      runs.push({ model, seed, scores });
      ctx.log(`seed ${seed}, ${model}: CVR AUC click space ${scores.auc.cvrClick.toFixed(4)}, entire space ${scores.auc.cvrEntire.toFixed(4)}, CTCVR AUC ${scores.auc.ctcvr.toFixed(4)}`);
    }
    const clicks = c.click.reduce((a, b) => a + b, 0);
    const purchases = c.purchase.reduce((a, b) => a + b, 0);
    truth.push({ seed, scores: score(c, c.true_ctr, c.true_cvr, c.true_ctcvr), rows: { test: c.click.length, clicks, purchases } });
  }
  return { size, runs, truth, seconds, specs: Object.fromEntries(ESMM_MODELS.map((m) => [m.id, esmmSpec(m.id, settings(size.seeds[0]!))])) };
}

/** pCTCVR / pCTR, at most 1 (a pCTCVR above its pCTR is not a probability of buying once clicked). */
export function impliedCvr(ctcvr: Float32Array, ctr: Float32Array): Float32Array {
  return ctcvr.map((p, i) => Math.min(p / Math.max(ctr[i]!, 1e-12), 1));
}

export function need(predicted: Record<string, Float32Array>, task: string): Float32Array {
  const p = predicted[task];
  if (!p) throw new ExperimentError(`the model has no '${task}' output (has: ${Object.keys(predicted).join(", ")})`);
  return p;
}

/** The AUCs and mean pCVR of one model (or of the truth) on the test impressions. */
export function score(c: Record<(typeof TRUTH_COLUMNS)[number], Float64Array>, ctr: ArrayLike<number>, cvr: ArrayLike<number>, ctcvr: ArrayLike<number>): EsmmScores {
  let clickedSum = 0;
  let clicked = 0;
  let sum = 0;
  for (let i = 0; i < cvr.length; i++) {
    sum += cvr[i]!;
    if (c.click[i] === 1) {
      clickedSum += cvr[i]!;
      clicked++;
    }
  }
  return {
    auc: {
      cvrClick: auc(cvr, c.purchase, c.click),
      cvrEntire: auc(cvr, c.buy_if_clicked),
      ctcvr: auc(ctcvr, c.purchase),
      ctr: auc(ctr, c.click),
    },
    meanCvr: { entire: sum / cvr.length, clicked: clickedSum / clicked },
  };
}

export interface EsmmFiles {
  train: string;
  valid: string;
  test: string;
}

/** One stream of impressions, cut into train, validation and test files (Parquet reads fastest; the demo writes CSV a user can open). */
export async function writeEsmmData(dir: string, size: Pick<EsmmSize, "trainRows" | "validRows" | "testRows">, seed: number, extension: "parquet" | "csv" = "parquet"): Promise<EsmmFiles> {
  const file = (name: string) => join(dir, `${name}.${extension}`);
  const files: EsmmFiles = { train: file("train"), valid: file("valid"), test: file("test") };
  const options = { ...ESMM_WORLD, rows: size.trainRows + size.validRows + size.testRows, seed };
  const rows = generateEsmm(options);
  await writeGenerated(rows, esmmColumns(), files.train, size.trainRows, { file: files.valid, rows: size.validRows });
  await writeGenerated(rows, esmmColumns(), files.test, size.testRows);
  return files;
}

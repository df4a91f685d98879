/** The three experiments of issue #7, each with its sizes described for the report. */
import { CENSUS_SIZES, runCensus } from "./census/experiment.js";
import { censusReport } from "./census/report.js";
import { ESMM_SIZES, runEsmm } from "./esmm/experiment.js";
import { esmmReport } from "./esmm/report.js";
import { ESMM_MODELS } from "./esmm/specs.js";
import { runSynthetic, SYNTHETIC_SIZES } from "./mmoe-synthetic/experiment.js";
import { syntheticReport } from "./mmoe-synthetic/report.js";
import { count } from "./report/markdown.js";
import type { ExperimentContext, ExperimentId, ExperimentReport, SectionContent, Size } from "./report/types.js";

export interface Experiment {
  id: ExperimentId;
  short: string;
  title: string;
  /** One line per size for the report's size table. */
  describe(size: Size): string;
  run(ctx: ExperimentContext): Promise<ExperimentReport>;
}

const seeds = (list: readonly number[]) => (list.length === 1 ? `seed ${list[0]}` : `seeds ${list[0]}–${list.at(-1)}`);
const epochs = (n: number) => `${n} epoch${n === 1 ? "" : "s"}`;

/** An experiment from its two halves: `run` trains and measures, `report` turns the results (and the time taken) into a section. */
function experiment<R>(
  [id, short, title]: [ExperimentId, string, string],
  describe: (size: Size) => string,
  run: (ctx: ExperimentContext) => Promise<R>,
  report: (results: R, seconds: number) => SectionContent,
): Experiment {
  return {
    id,
    short,
    title,
    describe,
    async run(ctx) {
      const started = Date.now();
      const results = await run(ctx);
      return { id, short, title, ...report(results, (Date.now() - started) / 1000) };
    },
  };
}

export const EXPERIMENTS: readonly Experiment[] = [
  experiment(
    ["mmoe", "MMoE, synthetic", "MMoE on synthetic tasks of controlled correlation (MMoE paper, section 5)"],
    (size) => {
      const s = SYNTHETIC_SIZES[size];
      return `${count(s.trainRows)} / ${count(s.validRows)} / ${count(s.testRows)} rows per data set, correlations ${s.correlations.join(", ")}, ${epochs(s.epochs)} of batch ${s.batch}, ${seeds(s.seeds)}: ${s.correlations.length * s.seeds.length * 3} trainings`;
    },
    runSynthetic,
    syntheticReport,
  ),
  experiment(
    ["esmm", "ESMM", "ESMM against sample-selection bias (ESMM, ESCM² and AITM papers)"],
    (size) => {
      const s = ESMM_SIZES[size];
      return `${count(s.trainRows)} / ${count(s.validRows)} / ${count(s.testRows)} impressions per seed, ${epochs(s.epochs)} of batch ${s.batch}, ${seeds(s.seeds)}: ${s.seeds.length * ESMM_MODELS.length} trainings`;
    },
    runEsmm,
    esmmReport,
  ),
  experiment(
    ["census", "Census-Income", "Census-Income, a real data set (MMoE paper, section 6.3)"],
    (size) => {
      const s = CENSUS_SIZES[size];
      return `${s.rows === undefined ? "all 99,762 rows" : `the first ${count(s.rows)} rows`} split 4 : 1 : 1, ${epochs(s.epochs)} of batch ${s.batch}, ${seeds(s.seeds)}: ${s.seeds.length * 3} trainings`;
    },
    runCensus,
    censusReport,
  ),
];

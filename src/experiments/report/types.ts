/** What each experiment hands to the report writer. */

export const SIZES = ["tiny", "reduced", "full"] as const;
export type Size = (typeof SIZES)[number];

/** How much data and training one experiment run gets at a given size. */
export interface RunSize {
  trainRows: number;
  validRows: number;
  testRows: number;
  epochs: number;
  batch: number;
  lr: number;
  seeds: number[];
}

export const EXPERIMENT_IDS = ["mmoe", "esmm", "census"] as const;
export type ExperimentId = (typeof EXPERIMENT_IDS)[number];

export type Verdict = "reproduced" | "partly reproduced" | "not reproduced";

/** One claim of a paper, and what this run says about it, with the numbers behind the verdict. */
export interface Finding {
  claim: string;
  verdict: Verdict;
  evidence: string;
}

export interface Figure {
  /** File name inside the figures folder, e.g. "mmoe-test-loss.svg". */
  file: string;
  svg: string;
  alt: string;
}

export interface SpecFile {
  /** Path inside the specs folder, e.g. "mmoe/mmoe.mtl". */
  file: string;
  text: string;
}

export interface ExperimentReport {
  id: ExperimentId;
  /** A few words for the summary table: "MMoE, synthetic". */
  short: string;
  title: string;
  /** Markdown body; figures are linked as `${figuresLink}/<file>`. */
  body(figuresLink: string): string;
  figures: Figure[];
  specs: SpecFile[];
  findings: Finding[];
  /** Wall-clock time of the experiment, data generation included. */
  seconds: number;
}

/** What an experiment's report function produces; the registry adds the names. */
export type SectionContent = Omit<ExperimentReport, "id" | "short" | "title">;

export interface ExperimentContext {
  size: Size;
  /** A scratch folder for data and model folders, deleted afterwards. */
  workDir: string;
  /** Progress lines for the console. */
  log(line: string): void;
}

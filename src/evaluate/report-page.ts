/**
 * `mtl eval --report DIR`: a reliability diagram per binary task and a short
 * Markdown page with the metrics table, what each task was scored on, and
 * the notes the table prints under it.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { linePlot } from "../experiments/plot/line-plot.js";
import { CALIBRATION_BINS, type CalibrationBin } from "../metrics/calibration.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import type { TaskEvaluation } from "./evaluate.js";
import { metricNotes, metricsMarkdown } from "./report.js";

/** The page's file name inside the report folder. */
export const REPORT_PAGE = "report.md";

/** A binary task's reliability diagram's file name. */
export const reliabilityFile = (task: string) => `reliability-${task}.svg`;

/** Observed positive rate against mean prediction per equal-mass bin, over the diagonal of perfect calibration. */
export function reliabilityDiagram(task: string, on: string, bins: readonly CalibrationBin[]): string {
  const rows = bins.reduce((s, b) => s + b.count, 0);
  return linePlot({
    title: `Reliability of '${task}'`,
    xLabel: "mean predicted probability (per bin)",
    yLabel: "observed positive rate",
    series: [
      { name: "perfectly calibrated", points: [{ x: 0, y: 0 }, { x: 1, y: 1 }] },
      { name: task, points: bins.map((b) => ({ x: b.meanPrediction, y: b.positiveRate })) },
    ],
    xTicks: [0, 0.2, 0.4, 0.6, 0.8, 1],
    xDecimals: 1,
    dodge: 0,
    note: `${bins.length} equal-mass bins (of ${CALIBRATION_BINS}; tied predictions share a bin) over ${rows.toLocaleString("en-US")} rows: ${on}`,
  });
}

export interface ReportContext {
  model: string;
  data: string;
  groupBy?: string;
}

/** Writes the page and the diagrams into `dir` (created if needed), each file atomically; returns the files written. */
export function writeEvalReport(dir: string, rows: readonly TaskEvaluation[], context: ReportContext): string[] {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  const diagrams: string[] = [];
  for (const r of rows) {
    if (!r.reliability || r.reliability.length === 0) continue;
    const file = reliabilityFile(r.task);
    writeFileAtomic(join(dir, file), reliabilityDiagram(r.task, r.on, r.reliability));
    written.push(file);
    diagrams.push(`### ${r.task}\n\nScored on ${r.on}.\n\n![Reliability of ${r.task}](${file})`);
  }
  const notes = metricNotes(rows);
  const page = [
    `# Evaluation of ${context.model}`,
    "",
    `Data: \`${context.data}\`${context.groupBy ? `; GAUC groups: column \`${context.groupBy}\`` : ""}.`,
    "",
    metricsMarkdown(rows),
    "",
    "Each task is scored on the rows of its *scored on* column (its `where`; for a latent ESMM task, the rows where the other factors' labels are 1).",
    "NE is normalized entropy (log loss over the entropy of the positive rate, as TorchRec reports it); calib. is mean prediction over positive rate;",
    `ECE is the expected calibration error over ${CALIBRATION_BINS} equal-mass bins of the predictions.`,
    ...(notes.length > 0 ? ["", ...notes.map((n) => `- ${n}`)] : []),
    ...(diagrams.length > 0 ? ["", "## Reliability diagrams", "", diagrams.join("\n\n")] : []),
    "",
  ].join("\n");
  writeFileAtomic(join(dir, REPORT_PAGE), page);
  return [REPORT_PAGE, ...written];
}

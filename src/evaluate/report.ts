import type { BinaryTaskMetrics, RegressionTaskMetrics } from "../metrics/accumulator.js";
import type { TaskEvaluation } from "./evaluate.js";

const fmt = (x: number, digits = 4) => (Number.isNaN(x) ? "n/a" : x.toFixed(digits));

/**
 * The columns of the metrics table, in order: a header and each task's cell
 * (empty where a metric does not apply). GAUC appears when the rows were
 * grouped (`--group-by`). NE is normalized entropy; calib. is mean
 * prediction / positive rate; ECE the expected calibration error.
 */
function columns(rows: readonly TaskEvaluation[]): { header: string; cell: (r: TaskEvaluation) => string }[] {
  const grouped = rows.some((r) => r.metrics.type === "binary" && r.metrics.gauc !== undefined);
  const binary = (f: (m: BinaryTaskMetrics) => number) => (r: TaskEvaluation) => (r.metrics.type === "binary" ? fmt(f(r.metrics)) : "");
  const regression = (f: (m: RegressionTaskMetrics) => number) => (r: TaskEvaluation) => (r.metrics.type === "regression" ? fmt(f(r.metrics)) : "");
  return [
    { header: "task", cell: (r) => r.task },
    { header: "scored on", cell: (r) => r.on },
    { header: "rows", cell: (r) => String(r.metrics.count) },
    { header: "AUC", cell: binary((m) => m.auc) },
    ...(grouped ? [{ header: "GAUC", cell: binary((m) => m.gauc ?? NaN) }] : []),
    { header: "log loss", cell: binary((m) => m.logLoss) },
    { header: "NE", cell: binary((m) => m.normalizedEntropy) },
    { header: "calib.", cell: binary((m) => m.calibration) },
    { header: "ECE", cell: binary((m) => m.ece) },
    { header: "pos. rate", cell: binary((m) => m.positiveRate) },
    { header: "mean pred.", cell: (r) => fmt(r.metrics.meanPrediction) },
    { header: "RMSE", cell: regression((m) => m.rmse) },
    { header: "MAE", cell: regression((m) => m.mae) },
  ];
}

/** The per-task metrics table printed after each epoch and by `mtl eval`, then its notes. */
export function metricsTable(rows: readonly TaskEvaluation[]): string {
  const cols = columns(rows);
  const header = cols.map((c) => c.header);
  const body = rows.map((r) => cols.map((c) => c.cell(r)));
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ").trimEnd();
  const notes = metricNotes(rows).map((n) => `note: ${n}`);
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...body.map(line), ...notes].join("\n");
}

/** The same table in Markdown, for `mtl eval --report`. */
export function metricsMarkdown(rows: readonly TaskEvaluation[]): string {
  const cols = columns(rows);
  const cell = (text: string) => text.replace(/\|/g, "\\|");
  const line = (cells: string[]) => `| ${cells.map(cell).join(" | ")} |`;
  return [line(cols.map((c) => c.header)), line(cols.map((_, i) => (i < 2 ? "---" : "---:"))), ...rows.map((r) => line(cols.map((c) => c.cell(r))))].join("\n");
}

/** What the table alone would hide: a task scored on one class, and which groups GAUC left out. */
export function metricNotes(rows: readonly TaskEvaluation[]): string[] {
  const notes: string[] = [];
  for (const r of rows) {
    if (r.note) notes.push(`task '${r.task}': ${r.note}`);
    const m = r.metrics;
    if (m.type === "binary" && m.gaucGroups !== undefined) {
      const used = m.gaucGroups - m.gaucSkippedGroups!;
      const skipped = m.gaucSkippedGroups! > 0 ? `; ${count(m.gaucSkippedGroups!, "group")} with one class only left out` : "";
      notes.push(`task '${r.task}': GAUC over ${thousands(used)} of ${count(m.gaucGroups, "group")} (${count(m.gaucRows!, "row")})${skipped}`);
    }
  }
  return notes;
}

const thousands = (n: number) => n.toLocaleString("en-US");
const count = (n: number, noun: string) => `${thousands(n)} ${noun}${n === 1 ? "" : "s"}`;

/** metrics.json: plain numbers, NaN written as null. */
/** `data`: which data the figures were measured on, when the caller records it (the trainer's metrics.json). */
export function metricsJson(rows: readonly TaskEvaluation[], data?: string): Record<string, unknown> {
  const clean = (v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? null : v);
  return Object.fromEntries(rows.map((r) => [r.task, { on: r.on, ...(data !== undefined && { data }), ...Object.fromEntries(Object.entries(r.metrics).map(([k, v]) => [k, clean(v)])), ...(r.note && { note: r.note }) }]));
}

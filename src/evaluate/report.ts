import type { TaskEvaluation } from "./evaluate.js";

const fmt = (x: number, digits = 4) => (Number.isNaN(x) ? "n/a" : x.toFixed(digits));

/** The per-task metrics table printed after each epoch and by `mtl eval`. */
export function metricsTable(rows: readonly TaskEvaluation[]): string {
  const header = ["task", "scored on", "rows", "AUC", "log loss", "pos. rate", "mean pred.", "RMSE", "MAE"];
  const body = rows.map(({ task, on, metrics: m }) =>
    m.type === "binary"
      ? [task, on, String(m.count), fmt(m.auc), fmt(m.logLoss), fmt(m.positiveRate), fmt(m.meanPrediction), "", ""]
      : [task, on, String(m.count), "", "", "", fmt(m.meanPrediction), fmt(m.rmse), fmt(m.mae)],
  );
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ").trimEnd();
  const notes = rows.filter((r) => r.note).map((r) => `note: task '${r.task}': ${r.note}`);
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...body.map(line), ...notes].join("\n");
}

/** metrics.json: plain numbers, NaN written as null. */
export function metricsJson(rows: readonly TaskEvaluation[]): Record<string, unknown> {
  const clean = (v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? null : v);
  return Object.fromEntries(rows.map((r) => [r.task, { on: r.on, ...Object.fromEntries(Object.entries(r.metrics).map(([k, v]) => [k, clean(v)])), ...(r.note && { note: r.note }) }]));
}

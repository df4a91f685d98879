/** How `mtl inspect` shows a gate inspection: a text table, JSON, and a task × expert heatmap. */
import { heatmap } from "../experiments/plot/heatmap.js";
import type { GateInspection, GateStats } from "./gates.js";

const fmt = (x: number, digits: number) => (Number.isNaN(x) ? "n/a" : x.toFixed(digits));

/** A gate's row label: its name and the tasks it serves. */
export function gateLabel(g: GateStats): string {
  return g.tasks.length === 0 ? g.gate : `${g.gate} (${g.tasks.join(", ")})`;
}

/** One block per gate: entropy, effective experts, then each expert's mean weight. */
export function gatesTable(inspection: GateInspection): string {
  const out: string[] = [];
  for (const g of inspection.gates) {
    out.push(`gate ${gateLabel(g)}: mean entropy ${fmt(g.meanEntropy, 3)} nats, effective experts ${fmt(g.effectiveExperts, 2)} of ${g.experts.length}`);
    const width = Math.max(6, ...g.experts.map((e) => e.length));
    out.push(`  ${"expert".padEnd(width)}  mean weight  rows with >= 0.9`);
    g.experts.forEach((e, k) => out.push(`  ${e.padEnd(width)}  ${fmt(g.meanWeights[k]!, 4).padStart(11)}  ${`${fmt(g.dominantShare[k]! * 100, 1)}%`.padStart(16)}`));
  }
  for (const p of inspection.pairs) out.push(`gates ${p.a} and ${p.b}: mean total-variation distance ${fmt(p.distance, 3)}`);
  return out.join("\n");
}

/** The inspection as plain JSON (NaN as null). */
export function gatesJson(inspection: GateInspection): unknown {
  return JSON.parse(JSON.stringify(inspection));
}

/** Task × expert: each gate's mean weight on each expert, blank where a gate does not mix the expert. */
export function gateHeatmap(inspection: GateInspection, title: string): string {
  const experts = [...new Set(inspection.gates.flatMap((g) => g.experts))];
  return heatmap({
    title,
    rows: inspection.gates.map((g) => ({ label: gateLabel(g), values: experts.map((e) => (g.experts.includes(e) ? Math.min(1, Math.max(0, g.meanWeights[g.experts.indexOf(e)]!)) : null)) })),
    columns: experts,
    xLabel: "expert (cell: the gate's mean softmax weight)",
    note: `${inspection.rows.toLocaleString("en-US")} rows; effective experts: ${inspection.gates.map((g) => `${g.gate} ${fmt(g.effectiveExperts, 2)}`).join(", ")}`,
  });
}

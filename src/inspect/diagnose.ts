/**
 * The warnings of `mtl inspect`, as diagnostics of the catalog (MTL7xxx),
 * placed at the gate's declaration in the model folder's spec.mtl so every
 * renderer (human, JSON, SARIF) shows them like the checker's.
 */
import { diagnostic, type Diagnostic } from "../diagnostics/diagnostic.js";
import type { Range } from "../syntax/ast.js";
import { parseText } from "../syntax/parse.js";
import { COLLAPSE_WEIGHT, type GateInspection } from "./gates.js";

/** A gate has collapsed when one expert gets at least COLLAPSE_WEIGHT on at least this share of rows. */
export const COLLAPSE_ROWS = 0.95;

/** Gates over the same experts are "nearly identical" when every pair's mean total-variation distance is at most this. */
export const IDENTICAL_DISTANCE = 0.05;

const percent = (x: number) => `${(x * 100).toFixed(1)}%`;

/** The warnings for `inspection`; `spec` is the text of the model's spec.mtl and `file` how to name it. */
export function diagnoseGates(inspection: GateInspection, spec: string, file: string): Diagnostic[] {
  if (inspection.rows === 0) return [];
  const at = declarations(spec, file);
  const out: Diagnostic[] = [];
  for (const g of inspection.gates) {
    const top = g.dominantShare.indexOf(Math.max(...g.dominantShare));
    if (g.experts.length < 2 || !(g.dominantShare[top]! >= COLLAPSE_ROWS)) continue;
    const tasks = g.tasks.length === 0 ? "any task" : g.tasks.map((t) => `'${t}'`).join(", ");
    out.push(
      diagnostic("MTL7001", file, at(g.gate), g.gate, g.experts[top]!, String(COLLAPSE_WEIGHT), percent(g.dominantShare[top]!), g.rows.toLocaleString("en-US"), g.effectiveExperts.toFixed(2), g.experts.length, tasks),
    );
  }
  for (const group of sameExpertGroups(inspection)) {
    const distances = inspection.pairs.filter((p) => group.includes(p.a) && group.includes(p.b)).map((p) => p.distance);
    const widest = Math.max(...distances);
    if (!(widest <= IDENTICAL_DISTANCE)) continue;
    const d = diagnostic("MTL7002", file, at(group[0]!), group.map((g) => `'${g}'`).join(", "), widest.toFixed(3), String(IDENTICAL_DISTANCE));
    d.related = group.slice(1).map((g) => ({ message: `gate '${g}'`, range: at(g) }));
    out.push(d);
  }
  return out;
}

/** The sets (2 or more) of gates whose weights were compared: connected by pairs. */
function sameExpertGroups(inspection: GateInspection): string[][] {
  const groups: string[][] = [];
  for (const p of inspection.pairs) {
    const group = groups.find((g) => g.includes(p.a));
    if (group) {
      if (!group.includes(p.b)) group.push(p.b);
    } else groups.push([p.a, p.b]);
  }
  return groups;
}

/** Gate name -> the range of its name in the spec; the file's start for a gate the text does not declare. */
function declarations(spec: string, file: string): (gate: string) => Range {
  const ranges = new Map<string, Range>();
  for (const decl of parseText(spec, file).ast.decls) if (decl.kind === "gate") ranges.set(decl.name.text, decl.name.range);
  const start: Range = { start: { line: 1, column: 1, offset: 0 }, end: { line: 1, column: 1, offset: 0 } };
  return (gate) => ranges.get(gate) ?? start;
}

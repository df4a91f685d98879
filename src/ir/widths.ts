import type { FeatureIR, ModelIR, NodeIR, TableIR } from "./types.js";

/**
 * The width of every feature and node, derived from the one place the IR
 * states it: a table's `dim` (categorical and sequence features), 1 (numeric),
 * the number of its features (a numeric block),
 * the last of `units` (mlp), the sum of the inputs (concat) and the experts'
 * common width (gate; the gate in validate.ts checks they agree).
 *
 * Every back end that needs a width reads it here. On an IR that has not
 * passed the gate a dangling name gives NaN instead of a throw, so the gate
 * can use this too and report the dangling name itself.
 */
export function irWidths(ir: Pick<ModelIR, "features" | "numericBlocks" | "tables" | "nodes">): ReadonlyMap<string, number> {
  const widths = new Map<string, number>();
  const tables = new Map<string, TableIR>(ir.tables.map((t) => [t.name, t]));
  for (const f of ir.features) widths.set(f.name, featureWidth(f, tables));
  for (const block of ir.numericBlocks) widths.set(block.name, block.features.length);
  for (const node of ir.nodes) widths.set(node.name, nodeWidth(node, widths));
  return widths;
}

function featureWidth(f: FeatureIR, tables: ReadonlyMap<string, TableIR>): number {
  return f.kind === "numeric" ? 1 : (tables.get(f.table)?.dim ?? Number.NaN);
}

function nodeWidth(node: NodeIR, widths: ReadonlyMap<string, number>): number {
  const of = (name: string) => widths.get(name) ?? Number.NaN;
  switch (node.op) {
    case "concat":
      return node.inputs.reduce((sum, name) => sum + of(name), 0);
    case "mlp":
      return node.units[node.units.length - 1] ?? Number.NaN;
    case "gate":
      return node.experts.length > 0 ? of(node.experts[0]!) : Number.NaN;
  }
}

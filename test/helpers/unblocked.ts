import type { ModelIR } from "../../src/ir/types.js";

/** `ir` as it was before numeric blocks (IR version 2 fed every feature on its own): each block's features back in its concat. */
export function unblocked<T extends Pick<ModelIR, "numericBlocks" | "nodes">>(ir: T): T {
  const members = new Map(ir.numericBlocks.map((b) => [b.name, b.features]));
  const nodes = ir.nodes.map((n) => (n.op === "concat" ? { ...n, inputs: n.inputs.flatMap((name) => members.get(name) ?? [name]) } : n));
  return { ...ir, numericBlocks: [], nodes };
}

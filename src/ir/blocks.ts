import type { FeatureIR, ModelIR, NodeIR, NumericBlockIR, TaskIR } from "./types.js";

/**
 * Which numeric features enter the graph together, decided once (lowering
 * and the version 2 upgrade both call this): every run of two or more
 * numeric features side by side in an `input` that no other place reads (no
 * other input, network, gate or task head) becomes one block, and the `input` lists the block in the run's place. A
 * wide table then feeds one [batch, n] tensor instead of n [batch, 1] ones
 * concatenated, which is the same numbers in the same columns.
 */
export function withNumericBlocks(
  features: readonly FeatureIR[],
  nodes: readonly NodeIR[],
  tasks: readonly Pick<TaskIR, "head">[],
): { numericBlocks: NumericBlockIR[]; nodes: NodeIR[] } {
  const numeric = new Set(features.filter((f) => f.kind === "numeric").map((f) => f.name));
  const reads = new Map<string, number>();
  const read = (name: string) => reads.set(name, (reads.get(name) ?? 0) + 1);
  for (const node of nodes) {
    if (node.op === "concat") node.inputs.forEach(read);
    else read(node.input);
  }
  for (const task of tasks) if (task.head.op === "dense") read(task.head.input);
  const blockable = (name: string) => numeric.has(name) && reads.get(name) === 1;

  const taken = new Set<string>([...features.map((f) => f.name), ...nodes.map((n) => n.name)]);
  const numericBlocks: NumericBlockIR[] = [];
  const blocked = nodes.map((node): NodeIR => {
    if (node.op !== "concat") return node;
    const inputs: string[] = [];
    let run: string[] = [];
    const flush = () => {
      if (run.length >= 2) {
        const name = freshName(`${node.name}_numeric`, taken);
        numericBlocks.push({ name, features: run });
        inputs.push(name);
      } else inputs.push(...run);
      run = [];
    };
    for (const name of node.inputs) {
      if (blockable(name)) run.push(name);
      else {
        flush();
        inputs.push(name);
      }
    }
    flush();
    return inputs.length === node.inputs.length ? node : { ...node, inputs };
  });
  return { numericBlocks, nodes: blocked };
}

function freshName(base: string, taken: Set<string>): string {
  let name = base;
  for (let k = 2; taken.has(name); k++) name = `${base}_${k}`;
  taken.add(name);
  return name;
}

/** One input of the graph: a feature on its own, or a numeric block. */
export type GraphInput =
  | { kind: "feature"; name: string; feature: FeatureIR }
  | { kind: "numericBlock"; name: string; block: NumericBlockIR; features: FeatureIR[] };

/**
 * The graph's inputs in a fixed order: the features in IR order, a block in
 * the place of the first of its features. Every back end and the encoder
 * read this, so an encoded batch holds exactly the arrays the model reads.
 */
export function graphInputs(ir: Pick<ModelIR, "features" | "numericBlocks">): GraphInput[] {
  const byName = new Map(ir.features.map((f) => [f.name, f]));
  const blockOf = new Map<string, NumericBlockIR>();
  for (const block of ir.numericBlocks) for (const name of block.features) blockOf.set(name, block);
  const inputs: GraphInput[] = [];
  const seen = new Set<NumericBlockIR>();
  for (const feature of ir.features) {
    const block = blockOf.get(feature.name);
    if (block === undefined) inputs.push({ kind: "feature", name: feature.name, feature });
    else if (!seen.has(block)) {
      seen.add(block);
      inputs.push({ kind: "numericBlock", name: block.name, block, features: block.features.map((name) => byName.get(name)!) });
    }
  }
  return inputs;
}

/** What a concat reads with each numeric block spelled out as its features: the spec's view, for descriptions and diagrams. */
export function concatReads(ir: Pick<ModelIR, "numericBlocks">, inputs: readonly string[]): string[] {
  return inputs.flatMap((name) => ir.numericBlocks.find((b) => b.name === name)?.features ?? [name]);
}

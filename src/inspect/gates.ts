/**
 * What a trained model's gates do on data: for each gate, the mean softmax
 * weight it gives each expert, the mean entropy of its weights, and how often
 * one expert takes almost all of them; for gates over the same experts, how
 * far apart their weights are. Read from the gates' softmax layers, found by
 * their deterministic names (plan/names.ts).
 */
import * as tf from "#tfjs";
import type { Encoder } from "../data/encode/index.js";
import type { DataError, RawRecord } from "../data/record.js";
import type { GateNodeIR, ValidIR } from "../ir/types.js";
import { names } from "../plan/names.js";
import { modelInputs } from "../runtime/graph/forward.js";
import { batches } from "../train/batches.js";
import { featureTensors } from "../train/tensors.js";

/** A weight at least this large means the expert "takes almost all the weight" on that row. */
export const COLLAPSE_WEIGHT = 0.9;

export interface GateStats {
  gate: string;
  /** The tasks whose output depends on this gate, in spec order. */
  tasks: string[];
  /** The experts it mixes, in order: `e[0]`, `e[1]`, ... (a one-expert group by its name). */
  experts: string[];
  rows: number;
  /** Mean weight per expert over the rows (sums to 1). */
  meanWeights: number[];
  /** Mean over rows of the entropy of the gate's weights, in nats: 0 when one expert takes everything, ln(n) when all are equal. */
  meanEntropy: number;
  /** exp(meanEntropy): from 1 (one expert) to the number of experts. */
  effectiveExperts: number;
  /** Per expert, the share of rows on which it gets at least COLLAPSE_WEIGHT. */
  dominantShare: number[];
}

/** Two gates over the same experts and the mean total-variation distance between their weights (0: identical, 1: disjoint). */
export interface GatePair {
  a: string;
  b: string;
  distance: number;
}

export interface GateInspection {
  gates: GateStats[];
  pairs: GatePair[];
  rows: number;
}

export interface InspectOptions {
  batch: number;
  file: string;
  onBadRow?: (error: DataError) => void;
}

/** The gates of a model, in spec order. */
export function gatesOf(ir: ValidIR): GateNodeIR[] {
  return ir.nodes.filter((n): n is GateNodeIR => n.op === "gate");
}

/** Runs `records` through the model and collects its gates' statistics. */
export async function inspectGates(ir: ValidIR, model: tf.LayersModel, encoder: Encoder, records: AsyncIterable<RawRecord>, options: InspectOptions): Promise<GateInspection> {
  const gates = gatesOf(ir);
  if (gates.length === 0) return { gates: [], pairs: [], rows: 0 };
  const outputs = gates.map((g) => model.getLayer(names.gate(g.name)).output as tf.SymbolicTensor);
  const probe = tf.model({ inputs: model.inputs, outputs });
  const sums = gates.map((g) => ({ weights: new Float64Array(g.numExperts), entropy: 0, dominant: new Float64Array(g.numExperts) }));
  const pairs = samePairs(gates).map(([i, j]) => ({ i, j, sum: 0 }));
  let rows = 0;
  for await (const batch of batches(records, options.batch)) {
    const encoded = encoder.encodeFeaturesOnly(batch, options.file, options.onBadRow ? { onBadRow: options.onBadRow } : {});
    if (encoded.size === 0) continue;
    const inputs = featureTensors(ir, encoded);
    const weights = tf.tidy(() => {
      const raw = probe.apply(modelInputs(probe, inputs), { training: false }) as tf.Tensor | tf.Tensor[];
      return (Array.isArray(raw) ? raw : [raw]).map((t) => t.dataSync() as Float32Array);
    });
    tf.dispose(Object.values(inputs));
    const n = encoded.size;
    gates.forEach((g, k) => accumulate(sums[k]!, weights[k]!, n, g.numExperts));
    for (const p of pairs) p.sum += distanceSum(weights[p.i]!, weights[p.j]!, n, gates[p.i]!.numExperts);
    rows += n;
  }
  const tasks = tasksOfGates(ir);
  return {
    rows,
    gates: gates.map((g, k) => {
      const s = sums[k]!;
      const meanEntropy = rows === 0 ? NaN : s.entropy / rows;
      return {
        gate: g.name,
        tasks: tasks.get(g.name) ?? [],
        experts: expertLabels(ir, g),
        rows,
        meanWeights: Array.from(s.weights, (w) => (rows === 0 ? NaN : w / rows)),
        meanEntropy,
        effectiveExperts: Math.exp(meanEntropy),
        dominantShare: Array.from(s.dominant, (d) => (rows === 0 ? NaN : d / rows)),
      };
    }),
    pairs: pairs.map((p) => ({ a: gates[p.i]!.name, b: gates[p.j]!.name, distance: rows === 0 ? NaN : p.sum / rows })),
  };
}

function accumulate(s: { weights: Float64Array; entropy: number; dominant: Float64Array }, w: Float32Array, rows: number, n: number): void {
  for (let r = 0; r < rows; r++) {
    let h = 0;
    for (let k = 0; k < n; k++) {
      const p = w[r * n + k]!;
      s.weights[k]! += p;
      if (p > 0) h -= p * Math.log(p);
      if (p >= COLLAPSE_WEIGHT) s.dominant[k]!++;
    }
    s.entropy += h;
  }
}

/** Σ over rows of ½ Σ_k |a_k − b_k|. */
function distanceSum(a: Float32Array, b: Float32Array, rows: number, n: number): number {
  let sum = 0;
  for (let r = 0; r < rows; r++) {
    let d = 0;
    for (let k = 0; k < n; k++) d += Math.abs(a[r * n + k]! - b[r * n + k]!);
    sum += d / 2;
  }
  return sum;
}

/** Index pairs of gates that mix the same experts in the same order (MMoE's task gates): only those can be compared weight by weight. */
function samePairs(gates: GateNodeIR[]): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < gates.length; i++) {
    for (let j = i + 1; j < gates.length; j++) {
      if (gates[i]!.experts.join("\0") === gates[j]!.experts.join("\0")) out.push([i, j]);
    }
  }
  return out;
}

/** `e[0]`, `e[1]`, ... for a group of n; the node's name for a single expert. */
function expertLabels(ir: ValidIR, gate: GateNodeIR): string[] {
  return gate.experts.flatMap((group) => {
    const node = ir.nodes.find((n) => n.name === group);
    const count = node?.op === "mlp" ? node.count : 1;
    return count === 1 ? [group] : Array.from({ length: count }, (_, i) => `${group}[${i}]`);
  });
}

/** Gate name -> the tasks whose output reads it, directly or through towers, other gates and product heads. */
function tasksOfGates(ir: ValidIR): Map<string, string[]> {
  const inputsOf = new Map<string, string[]>();
  for (const n of ir.nodes) inputsOf.set(n.name, n.op === "concat" ? n.inputs : n.op === "mlp" ? [n.input] : [n.input, ...n.experts]);
  for (const t of ir.tasks) inputsOf.set(t.name, t.head.op === "dense" ? [t.head.input] : t.head.factors);
  const result = new Map<string, string[]>();
  for (const task of ir.tasks) {
    const seen = new Set<string>();
    const stack = [task.name];
    while (stack.length > 0) {
      const name = stack.pop()!;
      if (seen.has(name)) continue;
      seen.add(name);
      stack.push(...(inputsOf.get(name) ?? []));
    }
    for (const g of gatesOf(ir)) if (seen.has(g.name)) result.set(g.name, [...(result.get(g.name) ?? []), task.name]);
  }
  return result;
}

/**
 * An independent plain-JS evaluation of an IR, reading the weights from the
 * built model by layer name: the "hand computation" the tests compare TF.js
 * against, in float64.
 */
import type * as tf from "@tensorflow/tfjs";
import type { Activation, ValidIR } from "../../../src/ir/types.js";
import type { RawBatch } from "./fixtures.js";

type Vec = number[];
type Matrix = number[][];

function weightsOf(model: tf.LayersModel, layer: string): number[][] {
  return model.getLayer(layer).getWeights().map((w) => Array.from(w.dataSync()));
}

function dense(model: tf.LayersModel, layer: string, x: Vec): Vec {
  const l = model.getLayer(layer);
  const [kernel, bias] = l.getWeights();
  const [inDim, outDim] = kernel!.shape as [number, number];
  if (inDim !== x.length) throw new Error(`${layer}: input ${x.length} != kernel rows ${inDim}`);
  const k = kernel!.dataSync();
  const b = bias === undefined ? new Float32Array(outDim) : bias.dataSync();
  return Array.from({ length: outDim }, (_, o) => {
    let s = b[o]!;
    for (let i = 0; i < inDim; i++) s += x[i]! * k[i * outDim + o]!;
    return s;
  });
}

export function activate(name: Activation | "softmax", x: Vec): Vec {
  switch (name) {
    case "linear":
      return x;
    case "relu":
      return x.map((v) => Math.max(v, 0));
    case "tanh":
      return x.map(Math.tanh);
    case "sigmoid":
      return x.map(sigmoid);
    case "elu":
      return x.map((v) => (v > 0 ? v : Math.exp(v) - 1));
    case "swish":
      return x.map((v) => v * sigmoid(v));
    case "softmax": {
      const m = Math.max(...x);
      const e = x.map((v) => Math.exp(v - m));
      const s = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / s);
    }
    default:
      throw new Error(`the reference has no ${name}`);
  }
}

export function sigmoid(v: number): number {
  return 1 / (1 + Math.exp(-v));
}

/** BN at inference: gamma (x - movingMean) / sqrt(movingVar + eps) + beta, eps = TF.js' 1e-3. */
function batchNorm(model: tf.LayersModel, layer: string, x: Vec): Vec {
  const [gamma, beta, mean, variance] = weightsOf(model, layer);
  return x.map((v, i) => (gamma![i]! * (v - mean![i]!)) / Math.sqrt(variance![i]! + 1e-3) + beta![i]!);
}

export interface ReferenceResult {
  /** Per task: one value per row. */
  tasks: Record<string, number[]>;
  /** Per gate: the softmax weights of each row. */
  gates: Record<string, Matrix>;
  /** Per node or feature: each row's value (the first expert's for a group). */
  values: Record<string, Matrix>;
}

export function reference(ir: ValidIR, model: tf.LayersModel, raw: RawBatch): ReferenceResult {
  const rows = raw.user.length;
  const tasks: Record<string, number[]> = {};
  const gates: Record<string, Matrix> = {};
  const values: Record<string, Matrix> = {};
  for (const task of ir.tasks) tasks[task.name] = [];
  for (let r = 0; r < rows; r++) {
    const env = new Map<string, Vec[]>();
    for (const f of ir.features) {
      if (f.kind === "numeric") {
        env.set(f.name, [[(raw as unknown as Record<string, number[]>)[f.name]![r]!]]);
        continue;
      }
      const table = weightsOf(model, `emb_${f.table}`)[0]!;
      const dim = ir.tables.find((t) => t.name === f.table)!.dim;
      const embRow = (id: number) => table.slice(id * dim, id * dim + dim);
      if (f.kind === "categorical") {
        env.set(f.name, [embRow((raw as unknown as Record<string, number[]>)[f.name]![r]!)]);
      } else {
        const ids = (raw as unknown as Record<string, number[][]>)[f.name]![r]!.filter((id) => id >= 0);
        const pooled = Array.from({ length: dim }, (_, d) => {
          if (ids.length === 0) return 0;
          const col = ids.map((id) => embRow(id)[d]!);
          if (f.pool === "max") return Math.max(...col);
          const sum = col.reduce((a, b) => a + b, 0);
          return f.pool === "sum" ? sum : sum / ids.length;
        });
        env.set(f.name, [pooled]);
      }
    }
    for (const node of ir.nodes) {
      if (node.op === "concat") {
        env.set(node.name, [node.inputs.flatMap((n) => env.get(n)![0]!)]);
      } else if (node.op === "mlp") {
        const input = env.get(node.input)![0]!;
        const outs: Vec[] = [];
        for (let i = 0; i < node.count; i++) {
          const prefix = node.role === "expert" ? `expert_${node.name}_${i}` : `tower_${node.name}`;
          let x = input;
          node.units.forEach((_, j) => {
            x = dense(model, `${prefix}_dense_${j}`, x);
            if (node.batchNorm) x = batchNorm(model, `${prefix}_bn_${j}`, x);
            x = activate(node.activation, x);
          });
          outs.push(x);
        }
        env.set(node.name, outs);
      } else {
        const experts = node.experts.flatMap((g) => env.get(g)!);
        const g = activate("softmax", dense(model, `gate_${node.name}`, env.get(node.input)![0]!));
        (gates[node.name] ??= []).push(g);
        const mixed = experts[0]!.map((_, d) => experts.reduce((s, e, k) => s + g[k]! * e[d]!, 0));
        env.set(node.name, [mixed]);
      }
    }
    for (const [name, vs] of env) (values[name] ??= []).push(vs[0]!);
    const taskValue = new Map<string, number>();
    for (const task of ir.tasks) {
      let v: number;
      if (task.head.op === "dense") {
        const raw = dense(model, `task_${task.name}_head`, env.get(task.head.input)![0]!)[0]!;
        v = task.type === "binary" ? sigmoid(raw) : raw;
      } else {
        v = task.head.factors.reduce((p, f) => p * taskValue.get(f)!, 1);
      }
      taskValue.set(task.name, v);
      tasks[task.name]!.push(v);
    }
  }
  return { tasks, gates, values };
}

/**
 * What torch_process.py needs to do one `mtl train` run's work: the data
 * file and how to read it, each feature's encoding, the labels, the MMoE's
 * sizes and the training settings, all taken from the compiled spec. The
 * peer writes the MMoE directly in PyTorch; this module refuses a spec that
 * is not that network, so the two sides cannot drift apart.
 */
import type { MlpNodeIR, ValidIR } from "../../src/ir/types.js";
import { concatReads } from "../../src/ir/blocks.js";

/** Mirrors the config torch_process.py reads (keep the two in step). */
export interface PeerConfig {
  data: { file: string; header: boolean; columns: string[] | null; delimiter: string; trim: boolean; missing: string[] };
  /** Every column the run reads. */
  columns: string[];
  numeric: { column: string; transform: "none" | "log1p"; normalize: "zscore" | "none" }[];
  categorical: { column: string; rows: number; dim: number; vocab: string[] | null }[];
  tasks: { name: string; type: "binary" | "regression"; label: string; positives: string[] | null }[];
  experts: number;
  expertUnits: number[];
  towerUnits: number[];
  train: { batch: number; epochs: number; lr: number; seed: number; adam: { beta1: number; beta2: number; epsilon: number } };
  threads: number;
  /** Where the peer saves the weights (torch.save of the state dict). */
  out: string;
}

export class NotPeerModel extends Error {}

export function peerConfig(ir: ValidIR, run: { file: string; epochs: number; threads: number; out: string }): PeerConfig {
  const fail = (why: string): never => {
    throw new NotPeerModel(`spec '${ir.model.name}' is not the MMoE torch_process.py implements: ${why}`);
  };
  const numeric = ir.features.flatMap((f) => {
    if (f.kind !== "numeric") return [];
    if (f.transform !== "none" && f.transform !== "log1p") fail(`feature '${f.name}' uses transform ${f.transform}`);
    if (f.normalize !== "zscore" && f.normalize !== "none") fail(`feature '${f.name}' uses normalize ${f.normalize}`);
    if (f.fill !== "mean") fail(`feature '${f.name}' fills missing values with ${f.fill}`);
    return [{ column: f.column, transform: f.transform as "none" | "log1p", normalize: f.normalize as "zscore" | "none" }];
  });
  const categorical = ir.features.flatMap((f) => {
    if (f.kind === "sequence") fail(`feature '${f.name}' is a sequence`);
    if (f.kind !== "categorical") return [];
    const table = ir.tables.find((t) => t.name === f.table)!;
    if (ir.features.some((g) => g !== f && g.kind !== "numeric" && g.table === f.table)) fail(`table '${table.name}' is shared`);
    return [{ column: f.column, rows: table.rows, dim: table.dim, vocab: f.encoding.type === "vocab" ? [...f.encoding.vocab] : null }];
  });
  const inputs = ir.nodes.filter((n) => n.op === "concat");
  if (inputs.length !== 1 || concatReads(ir, inputs[0]!.inputs).length !== ir.features.length) fail("the input is not concat(*)");
  const mlps = ir.nodes.filter((n): n is MlpNodeIR => n.op === "mlp");
  for (const m of mlps) if (m.activation !== "relu" || m.dropout !== 0 || m.batchNorm || m.init !== "torch") fail(`mlp '${m.name}' is not plain relu with PyTorch's init`);
  const experts = mlps.filter((m) => m.role === "expert");
  const towers = mlps.filter((m) => m.role === "tower");
  const gates = ir.nodes.filter((n) => n.op === "gate");
  if (experts.length !== 1 || gates.length !== ir.tasks.length || towers.length !== ir.tasks.length) fail("it needs one expert group, and a gate and a tower per task");
  if (towers.some((t) => t.units.join() !== towers[0]!.units.join())) fail("the towers differ in units");
  const tasks = ir.tasks.map((t) => {
    if (t.head.op !== "dense" || t.weight !== 1 || t.where !== null || t.label === null) fail(`task '${t.name}' is not a plain labelled head of weight 1`);
    const label = t.label!;
    const expected = t.type === "binary" ? "bce" : t.type === "regression" ? "mse" : fail(`task '${t.name}' is ${t.type}`);
    if (t.loss.type !== expected) fail(`task '${t.name}' uses loss ${t.loss.type}`);
    return { name: t.name, type: t.type as "binary" | "regression", label: label.column, positives: label.positives === null ? null : [...label.positives] };
  });
  const { optimizer } = ir.train;
  if (optimizer.type !== "adam") return fail("the optimizer is not Adam");
  if (ir.train.l2 !== 0 || ir.train.weighting !== "fixed") fail("l2 and uncertainty weighting are not implemented");
  const data = ir.data;
  if (data.format !== "csv") fail("the data is not CSV");
  return {
    data: { file: run.file, header: data.header, columns: data.columns === null ? null : [...data.columns], delimiter: data.delimiter, trim: data.trim, missing: [...data.missing] },
    columns: [...new Set([...ir.features.map((f) => f.column), ...tasks.map((t) => t.label)])],
    numeric,
    categorical,
    tasks,
    experts: experts[0]!.count,
    expertUnits: [...experts[0]!.units],
    towerUnits: [...towers[0]!.units],
    train: { batch: ir.train.batch, epochs: run.epochs, lr: optimizer.lr, seed: ir.train.seed, adam: { beta1: optimizer.beta1, beta2: optimizer.beta2, epsilon: optimizer.epsilon } },
    threads: run.threads,
    out: run.out,
  };
}

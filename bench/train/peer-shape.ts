/**
 * What the PyTorch peer needs to build the same network as a compiled spec:
 * sizes only. torch_peer.py writes each architecture directly in PyTorch;
 * this module checks that the spec really is that architecture, so the two
 * sides cannot silently drift apart when a spec is edited.
 */
import { concatReads } from "../../src/ir/blocks.js";
import type { MlpNodeIR, ValidIR } from "../../src/ir/types.js";
import { USER_FEATURE_PREFIX, type Architecture, type ServingSizes } from "./workloads.js";

/** Mirrors the `shape` torch_peer.py reads (keep the two in step). */
export interface PeerShape {
  architecture: Architecture;
  /** Numeric features, fed as one [batch, numeric] float tensor. */
  numeric: number;
  /** Categorical features, one table each, all of the same size. */
  categorical: { count: number; buckets: number; dim: number };
  /** The first `userFeatures` categorical features are the request's user features. */
  userFeatures: number;
  experts: number;
  expertUnits: number[];
  /** Tasks with a head of their own (MMoE: one gate and tower each). */
  tasks: number;
  /** Every task's loss: binary tasks with BCE on logits, or (MMoE only) regression tasks with MSE. */
  loss: "bce" | "mse";
  towerUnits: number[];
  lr: number;
  batch: number;
  servingRows: number;
  throughputRows: number;
}

export class ShapeMismatch extends Error {}

export function peerShape(ir: ValidIR, architecture: Architecture, serving: ServingSizes): PeerShape {
  const fail = (why: string): never => {
    throw new ShapeMismatch(
      `spec '${ir.model.name}' is not the ${architecture} network torch_peer.py implements: ${why}`,
    );
  };
  const numeric = ir.features.filter((f) => f.kind === "numeric");
  const categorical = ir.features.filter((f) => f.kind === "categorical");
  if (numeric.length + categorical.length !== ir.features.length) fail("it has sequence features");
  // The peer puts numeric columns first, then one table per categorical feature.
  const kinds = ir.features.map((f) => f.kind).join(",");
  if (kinds !== [...numeric.map(() => "numeric"), ...categorical.map(() => "categorical")].join(",")) {
    fail("numeric features must come before categorical ones");
  }
  const tables = categorical.map((f) => ir.tables.find((t) => t.name === f.table)!);
  if (new Set(tables.map((t) => t.name)).size !== tables.length) fail("categorical features share tables");
  if (tables.some((t) => t.rows !== tables[0]!.rows || t.dim !== tables[0]!.dim)) fail("tables differ in size");
  const users = ir.features.filter((f) => f.name.startsWith(USER_FEATURE_PREFIX));
  if (users.some((f, i) => categorical[i] !== f)) fail(`'${USER_FEATURE_PREFIX}*' features must come first`);

  const inputs = ir.nodes.filter((n) => n.op === "concat");
  // A run of numeric features is read as one block (numericBlocks): spelt out, the input reads every feature.
  if (inputs.length !== 1 || concatReads(ir, inputs[0]!.inputs).length !== ir.features.length) fail("the input is not concat(*)");
  const mlps = ir.nodes.filter((n): n is MlpNodeIR => n.op === "mlp");
  for (const m of mlps) {
    if (m.activation !== "relu" || m.dropout !== 0 || m.batchNorm) fail(`mlp '${m.name}' is not plain relu`);
  }
  const experts = mlps.filter((m) => m.role === "expert");
  const towers = mlps.filter((m) => m.role === "tower");
  const gates = ir.nodes.filter((n) => n.op === "gate");
  const denseTasks = ir.tasks.filter((t) => t.head.op === "dense");
  if (ir.tasks.some((t) => t.weight !== 1 || t.where !== null)) fail("every task must be of weight 1, without `where`");
  const binary = ir.tasks.every((t) => t.type === "binary");
  const mse = ir.tasks.every((t) => t.type === "regression" && t.loss.type === "mse");
  if (!binary && !(mse && architecture === "mmoe")) {
    fail("every task must be binary, or (MMoE) every task regression with loss mse");
  }
  if (towers.length !== denseTasks.length || towers.some((t) => t.units.join() !== towers[0]!.units.join())) {
    fail("there must be one tower per task, all of the same units");
  }
  if (architecture === "mmoe") {
    if (experts.length !== 1 || gates.length !== denseTasks.length)
      fail("it needs one expert group and a gate per task");
    if (ir.tasks.length !== denseTasks.length) fail("it has product tasks");
  } else {
    if (experts.length !== 0 || gates.length !== 0) fail("ESMM has no experts or gates");
    const product = ir.tasks.filter((t) => t.head.op === "product");
    if (denseTasks.length !== 2 || product.length !== 1) fail("ESMM has two towers and one product task");
  }
  if (ir.train.optimizer.type !== "adam") fail("the optimizer is not Adam");
  if (ir.train.l2 !== 0 || ir.train.weighting !== "fixed") fail("l2 and uncertainty weighting are not implemented");

  return {
    architecture,
    numeric: numeric.length,
    categorical: { count: tables.length, buckets: tables[0]?.rows ?? 1, dim: tables[0]?.dim ?? 1 },
    userFeatures: users.length,
    experts: experts[0]?.count ?? 0,
    expertUnits: experts[0]?.units ?? [],
    tasks: denseTasks.length,
    loss: binary ? "bce" : "mse",
    towerUnits: towers[0]!.units,
    lr: ir.train.optimizer.lr,
    batch: ir.train.batch,
    servingRows: serving.requestRows,
    throughputRows: serving.throughputRows,
  };
}

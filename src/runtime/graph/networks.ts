/**
 * The network nodes: concatenations, MLPs (single towers or groups of
 * identically shaped experts) and softmax gates mixing expert groups.
 */
import * as tf from "@tensorflow/tfjs";
import type { ConcatNodeIR, GateNodeIR, MlpNodeIR, NodeIR } from "../../ir/types.js";
import { BuildContext, expectWidth, widthOf } from "./context.js";
import { names } from "./names.js";

export function buildNode(ctx: BuildContext, node: NodeIR): void {
  switch (node.op) {
    case "concat":
      return ctx.define(node.name, [concat(ctx, node)]);
    case "mlp":
      return ctx.define(node.name, mlpGroup(ctx, node));
    case "gate":
      return ctx.define(node.name, [gate(ctx, node)]);
  }
}

function concat(ctx: BuildContext, node: ConcatNodeIR): tf.SymbolicTensor {
  const user = `concat '${node.name}'`;
  if (node.inputs.length === 0) throw new Error(`${user} has no inputs`);
  const parts = node.inputs.map((name) => ctx.single(name, user));
  // Keras' Concatenate refuses a single input; one input is already the result.
  const out =
    parts.length === 1
      ? parts[0]!
      : (tf.layers
          .concatenate({ axis: -1, name: ctx.registry.claim(names.concat(node.name), user) })
          .apply(parts) as tf.SymbolicTensor);
  expectWidth(out, node.width, user);
  return out;
}

function mlpGroup(ctx: BuildContext, node: MlpNodeIR): tf.SymbolicTensor[] {
  const user = `${node.role} '${node.name}'`;
  if (!Number.isInteger(node.count) || node.count < 1) throw new Error(`${user}: count must be >= 1`);
  if (node.units.length === 0) throw new Error(`${user} has no layers`);
  const input = ctx.single(node.input, user);
  const outputs: tf.SymbolicTensor[] = [];
  for (let i = 0; i < node.count; i++) {
    const out = mlp(ctx, node, names.mlpPrefix(node.role, node.name, i), input, user);
    expectWidth(out, node.width, user);
    outputs.push(out);
  }
  return outputs;
}

/**
 * Dense -> [BatchNormalization] -> activation -> [Dropout] per layer. With
 * batch norm the Dense has no bias (BN's beta replaces it) and the activation
 * comes after the normalisation, as in the original BN paper.
 */
function mlp(
  ctx: BuildContext,
  node: MlpNodeIR,
  prefix: string,
  input: tf.SymbolicTensor,
  user: string,
): tf.SymbolicTensor {
  const claim = (suffix: string, j: number) => ctx.registry.claim(`${prefix}_${suffix}_${j}`, user);
  let x = input;
  node.units.forEach((units, j) => {
    const denseName = claim("dense", j);
    x = tf.layers
      .dense({
        name: denseName,
        units,
        activation: node.batchNorm ? "linear" : node.activation,
        useBias: !node.batchNorm,
        kernelInitializer: ctx.kernelInitializer(denseName),
        biasInitializer: "zeros",
      })
      .apply(x) as tf.SymbolicTensor;
    if (node.batchNorm) {
      x = tf.layers.batchNormalization({ name: claim("bn", j), axis: -1 }).apply(x) as tf.SymbolicTensor;
      if (node.activation !== "linear") {
        x = tf.layers.activation({ name: claim("act", j), activation: node.activation }).apply(x) as tf.SymbolicTensor;
      }
    }
    if (node.dropout > 0) {
      if (node.dropout >= 1) throw new Error(`${user}: dropout must be < 1, got ${node.dropout}`);
      const dropoutName = claim("dropout", j);
      const seed = ctx.seedFor(dropoutName);
      ctx.dropoutSeeds.set(dropoutName, seed);
      x = tf.layers.dropout({ name: dropoutName, rate: node.dropout, seed }).apply(x) as tf.SymbolicTensor;
    }
  });
  return x;
}

/**
 * softmax(W x) · [f_1 .. f_n]: the experts are stacked to [batch, n, width]
 * and a Dot over the expert axis mixes them with the gate's n weights.
 */
function gate(ctx: BuildContext, node: GateNodeIR): tf.SymbolicTensor {
  const user = `gate '${node.name}'`;
  const experts = node.experts.flatMap((group) => ctx.group(group, user));
  if (experts.length === 0) throw new Error(`${user} mixes no experts`);
  if (experts.length !== node.numExperts) {
    throw new Error(`${user}: the IR says ${node.numExperts} experts, its groups hold ${experts.length}`);
  }
  const width = widthOf(experts[0]!);
  for (const e of experts) {
    if (widthOf(e) !== width) throw new Error(`${user} mixes experts of different widths`);
  }
  const input = ctx.single(node.input, user);
  const gateName = ctx.registry.claim(names.gate(node.name), user);
  const weights = tf.layers
    .dense({
      name: gateName,
      units: experts.length,
      activation: "softmax",
      kernelInitializer: ctx.kernelInitializer(gateName),
      biasInitializer: "zeros",
    })
    .apply(input) as tf.SymbolicTensor;
  const rows = experts.map(
    (e, k) =>
      tf.layers
        .reshape({ name: ctx.registry.claim(names.gateRow(node.name, k), user), targetShape: [1, width] })
        .apply(e) as tf.SymbolicTensor,
  );
  const stacked =
    rows.length === 1
      ? rows[0]!
      : (tf.layers
          .concatenate({ name: ctx.registry.claim(names.gateStack(node.name), user), axis: 1 })
          .apply(rows) as tf.SymbolicTensor);
  const mixed = tf.layers
    .dot({ name: ctx.registry.claim(names.gateMix(node.name), user), axes: 1 })
    .apply([weights, stacked]) as tf.SymbolicTensor;
  expectWidth(mixed, node.width, user);
  return mixed;
}

/**
 * model.py: the layer plan (src/plan/layer-plan.ts) printed as a PyTorch
 * nn.Module, step by step, with mtl's layer names as attribute names. The
 * tfjs runtime instantiates the same plan, so the same weights give the same
 * scores; TFJS_WEIGHTS maps every weight of a saved mtl model to its
 * parameter here, and INITIALISERS carries the plan's seeded initialisers.
 */
import type { LayerPlan, LayerSpec, PlanOwner } from "../../plan/layer-plan.js";
import { pyLiteral, PyScope, pyString } from "./python-code.js";

/** A weight of the TF.js model as saved (model.json's weightSpecs). */
export interface TfjsWeightSpec {
  name: string;
  shape: number[];
  dtype: string;
}

/** What each TF.js weight kind is called on the PyTorch side, and whether it is stored transposed. */
const PARAMETERS: Record<string, { parameter: string; transposed: boolean }> = {
  embeddings: { parameter: "weight", transposed: false },
  kernel: { parameter: "weight", transposed: true },
  bias: { parameter: "bias", transposed: false },
  gamma: { parameter: "weight", transposed: false },
  beta: { parameter: "bias", transposed: false },
  moving_mean: { parameter: "running_mean", transposed: false },
  moving_variance: { parameter: "running_var", transposed: false },
};

const ACTIVATION_CODE: Record<string, (v: string) => string> = {
  linear: (v) => v,
  relu: (v) => `torch.relu(${v})`,
  tanh: (v) => `torch.tanh(${v})`,
  sigmoid: (v) => `torch.sigmoid(${v})`,
  elu: (v) => `F.elu(${v})`,
  selu: (v) => `F.selu(${v})`,
  gelu: (v) => `F.gelu(${v})`,
  swish: (v) => `F.silu(${v})`,
};

export function modelModule(plan: LayerPlan, title: string, weights: readonly TfjsWeightSpec[]): string {
  const attributes = new PyScope();
  const attribute = new Map(plan.layers.map((l) => [l.name, attributes.claim(l.name)]));
  const locals = new PyScope();
  const variable = new Map<string, string>();
  const shapes = new Map<string, number[]>(plan.inputs.map((i) => [i.name, i.shape]));
  for (const step of plan.steps) shapes.set(step.output, step.shape);
  const inputShape = (name: string) => shapes.get(name)!;

  const init: string[] = [];
  const initialisers: Record<string, unknown[]> = {};
  const declared = new Set<string>();
  const forward: string[] = [];
  let owner: PlanOwner | undefined;
  const specs = new Map(plan.layers.map((l) => [l.name, l.spec]));

  for (const input of plan.inputs) variable.set(input.name, locals.claim(input.name));
  for (const input of plan.inputs) forward.push(`${variable.get(input.name)} = x[${pyString(input.name)}]`);

  for (const step of plan.steps) {
    const spec = specs.get(step.layer)!;
    const self = `self.${attribute.get(step.layer)!}`;
    const args = step.inputs.map((i) => variable.get(i)!);
    if (!declared.has(step.layer)) {
      declared.add(step.layer);
      const constructor = constructorCode(spec, inputShape(step.inputs[0]!));
      if (constructor !== null) init.push(`${self} = ${constructor}`);
      Object.assign(initialisers, initialiserEntries(attribute.get(step.layer)!, spec));
    }
    if (owner === undefined || owner.kind !== step.owner.kind || owner.name !== step.owner.name) {
      owner = step.owner;
      forward.push("", `# ${step.owner.kind} '${step.owner.name}'`);
    }
    const out = locals.claim(step.output);
    variable.set(step.output, out);
    const line = `${out} = ${applyCode(spec, self, args)}`;
    forward.push(...(line.length + 8 > LINE_WIDTH && spec.kind === "concatenate" ? wrappedConcat(out, args, spec.axis) : [line]));
  }

  // A task's output tensor carries the task's name (layer-plan.ts).
  const outputs = plan.outputs.map((o) => `${pyString(o)}: ${variable.get(o)!}`);
  const logits = Object.entries(plan.logits).map(([task, t]) => `${pyString(task)}: ${variable.get(t)!}`);
  const [outputsVar, logitsVar] = [locals.claim("outputs"), locals.claim("logits")];
  forward.push("", ...dictLines(outputsVar, outputs), ...dictLines(logitsVar, logits), `return ${outputsVar}, ${logitsVar}`);

  const tfjsWeights = weights.map((w) => {
    const slash = w.name.lastIndexOf("/");
    const layer = w.name.slice(0, slash);
    const kind = PARAMETERS[w.name.slice(slash + 1)];
    const attr = attribute.get(layer);
    if (kind === undefined || attr === undefined) throw new Error(`the TF.js model has a weight '${w.name}' the layer plan does not declare`);
    return [w.name, `${attr}.${kind.parameter}`, kind.transposed];
  });

  const indent = (lines: string[], n: number) => lines.map((l) => (l === "" ? "" : " ".repeat(n) + l)).join("\n");
  return `"""${title}

The network, printed from mtl's layer plan by \`mtl compile --target torch\`.
Attribute names are mtl's layer names; TFJS_WEIGHTS maps each weight of a
saved mtl model (model.json) to its parameter here, and INITIALISERS holds
the plan's seeded initialisers (layers.initialise applies them).
"""

import torch
from torch import nn
from torch.nn import functional as F

from layers import BatchNorm, Dense, ait_attention, masked_pool, mix

# (TF.js weight name, parameter, stored transposed) in model.json's order.
TFJS_WEIGHTS = ${pyLiteral(tfjsWeights)}

INITIALISERS = ${pyLiteral(initialisers)}


class Model(nn.Module):
    """By input name: [batch, 1] ids or numbers, [batch, maxLen] sequences, [batch, n] blocks."""

    def __init__(self, sparse=False):
        """\`sparse\`: the embedding tables give sparse gradients, for the sparse optimisers."""
        super().__init__()
${indent(init, 8)}

    def forward(self, x):
        """Each task's probability or value [batch, 1], and each dense binary task's logit."""
${indent(forward, 8)}
`;
}

/** The module a layer needs, or null for a layer that is only arithmetic in forward(). */
function constructorCode(spec: LayerSpec, input: number[]): string | null {
  switch (spec.kind) {
    case "embedding":
      return `nn.Embedding(${spec.inputDim}, ${spec.outputDim}, sparse=sparse)`;
    case "dense":
      return `Dense(${input[input.length - 1]}, ${spec.units}, ${pyString(spec.activation)}, bias=${spec.useBias ? "True" : "False"})`;
    case "batchNormalization":
      return `BatchNorm(${input[input.length - 1]})`;
    case "dropout":
      return `nn.Dropout(${spec.rate})`;
    default:
      return null;
  }
}

/** The width generated lines keep (python-code.ts breaks literals at the same). */
const LINE_WIDTH = 100;

/** `name = {entries}`, one entry per line when too long for one. */
function dictLines(name: string, entries: string[]): string[] {
  const line = `${name} = {${entries.join(", ")}}`;
  return line.length + 8 <= LINE_WIDTH ? [line] : [`${name} = {`, ...entries.map((e) => `    ${e},`), "}"];
}

/** A concatenation too long for one line, one input per line. */
function wrappedConcat(out: string, args: string[], axis: number): string[] {
  return [`${out} = torch.cat(`, "    [", ...args.map((a) => `        ${a},`), "    ],", `    dim=${axis},`, ")"];
}

function applyCode(spec: LayerSpec, self: string, args: string[]): string {
  const [a] = args as [string];
  switch (spec.kind) {
    case "embedding":
    case "dense":
    case "batchNormalization":
    case "dropout":
      return `${self}(${a})`;
    case "flatten":
      return `torch.flatten(${a}, 1)`;
    case "clampIds":
      return `${a}.clamp(0, ${spec.maxId})`;
    case "maskedSequencePooling":
      return `masked_pool(${args[0]}, ${args[1]}, ${pyString(spec.mode)})`;
    case "concatenate":
      return `torch.cat([${args.join(", ")}], dim=${spec.axis})`;
    case "activation":
      return ACTIVATION_CODE[spec.activation]!(a);
    case "reshape":
      return `${a}.reshape(-1, ${spec.targetShape.join(", ")})`;
    case "dot":
      return `mix(${args[0]}, ${args[1]})`;
    case "multiply":
      return args.join(" * ");
    case "aitAttention":
      return `ait_attention(${args.join(", ")})`;
  }
}

function initialiserEntries(attribute: string, spec: LayerSpec): Record<string, unknown[]> {
  const entry = (init: { type: string } & Record<string, unknown>) => {
    const { type, ...rest } = init;
    return type === "zeros" ? [type] : type === "randomUniform" ? [type, rest["minval"], rest["maxval"], rest["seed"]] : [type, rest["seed"]];
  };
  if (spec.kind === "embedding") return { [`${attribute}.weight`]: entry(spec.embeddingsInitializer) };
  if (spec.kind === "dense") {
    return { [`${attribute}.weight`]: entry(spec.kernelInitializer), ...(spec.useBias && { [`${attribute}.bias`]: entry(spec.biasInitializer) }) };
  }
  return {};
}

/**
 * The generated module's buildModel(): the layer plan (src/plan/layer-plan.ts)
 * printed step by step, the same plan the runtime instantiates, so the layer
 * names, configurations and initial weights are mtl's own.
 */
import type { ValidIR } from "../../ir/types.js";
import { planLayers, type Initializer, type LayerPlan, type LayerSpec, type PlanOwner } from "../../plan/layer-plan.js";
import { docComment, num, Scope, str } from "./identifiers.js";

/** The source of `export function buildModel()`; `scope` holds the module's other top-level names. */
export function buildModelFunction(ir: ValidIR, scope: Scope, plan: LayerPlan = planLayers(ir)): string {
  const vars = new Map<string, string>();
  const body: string[] = ["// Inputs: one per feature, in declaration order ([batch, 1], or [batch, maxLen] for a sequence)."];
  for (const input of plan.inputs) {
    const v = scope.claim(input.name);
    vars.set(input.name, v);
    body.push(`const ${v} = tf.input({ name: ${str(input.name)}, shape: [${input.shape.join(", ")}], dtype: ${str(input.dtype)} });`);
  }

  // A layer applied more than once (a shared embedding table) is a variable of its own.
  const uses = new Map<string, number>();
  for (const step of plan.steps) uses.set(step.layer, (uses.get(step.layer) ?? 0) + 1);
  const layerVars = new Map<string, string>();
  const shared = plan.layers.filter((l) => uses.get(l.name)! > 1);
  if (shared.length > 0) body.push("", "// Layers applied more than once: embedding tables shared by several features.");
  for (const layer of shared) {
    const v = scope.claim(layer.name);
    layerVars.set(layer.name, v);
    body.push(`const ${v} = ${constructorCode(layer.name, layer.spec)};`);
  }

  const specs = new Map(plan.layers.map((l) => [l.name, l.spec]));
  let owner: PlanOwner | undefined;
  for (const step of plan.steps) {
    if (owner === undefined || owner.kind !== step.owner.kind || owner.name !== step.owner.name) {
      owner = step.owner;
      body.push("", ...ownerComment(ir, owner));
    }
    const v = scope.claim(step.output);
    vars.set(step.output, v);
    const inputs = step.inputs.map((i) => vars.get(i)!);
    const layer = layerVars.get(step.layer) ?? constructorCode(step.layer, specs.get(step.layer)!);
    body.push(`const ${v} = apply(${layer}, ${inputs.length === 1 ? inputs[0]! : `[${inputs.join(", ")}]`});`);
  }

  const inputs = plan.inputs.map((i) => vars.get(i.name)!);
  const outputs = plan.outputs.map((o) => vars.get(o)!);
  body.push("", `return tf.model({ name: ${str(plan.name)}, inputs: [${inputs.join(", ")}], outputs: [${outputs.join(", ")}] });`);
  return `${docComment(
    "Builds the network with the layer names, configurations and seeded initial weights `mtl train` uses, so loadWeights() can load a trained model's weights.",
  )}export function buildModel(): tf.LayersModel {\n${body.join("\n")}\n}\n`;
}

function ownerComment(ir: ValidIR, owner: PlanOwner): string[] {
  const doc =
    owner.kind === "feature"
      ? ir.features.find((f) => f.name === owner.name)?.doc
      : owner.kind === "node"
        ? ir.nodes.find((n) => n.name === owner.name)?.doc
        : ir.tasks.find((t) => t.name === owner.name)?.doc;
  const role = owner.kind === "node" ? (ir.nodes.find((n) => n.name === owner.name)?.role ?? "node") : owner.kind;
  return [`// ${role} '${owner.name}'`, ...(doc ? doc.split("\n").map((line) => `// ${line}`.trimEnd()) : [])];
}

/** `tf.layers.dense({ name: ..., units: ... })`, or `new ClampIds({ ... })` for mtl's own layers. */
function constructorCode(name: string, spec: LayerSpec): string {
  const { kind, ...config } = spec;
  const fields = [`name: ${str(name)}`, ...Object.entries(config).map(([key, value]) => `${key}: ${valueCode(key, value)}`)];
  const args = `{ ${fields.join(", ")} }`;
  switch (kind) {
    case "clampIds":
      return `new ClampIds(${args})`;
    case "maskedSequencePooling":
      return `new MaskedSequencePooling(${args})`;
    case "aitAttention":
      return `new AitAttention(${args})`;
    default:
      return `tf.layers.${kind}(${args})`;
  }
}

function valueCode(key: string, value: unknown): string {
  if (key.endsWith("Initializer")) return initializerCode(value as Initializer);
  if (Array.isArray(value)) return `[${value.map((v) => valueCode("", v)).join(", ")}]`;
  if (typeof value === "number") return num(value);
  if (typeof value === "string") return str(value);
  if (typeof value === "boolean") return String(value);
  throw new Error(`cannot print the layer option ${key} = ${JSON.stringify(value)}`);
}

function initializerCode(init: Initializer): string {
  const { type, ...args } = init;
  const fields = Object.entries(args).map(([key, value]) => `${key}: ${num(value)}`);
  return `tf.initializers.${type}(${fields.length > 0 ? `{ ${fields.join(", ")} }` : ""})`;
}

/**
 * The layer plan: the one description of a model's network, computed from the
 * IR, that every back end realises. The tfjs runtime instantiates it
 * (src/runtime/graph/build-model.ts) and the TypeScript emitter prints it
 * (src/codegen/typescript/model-code.ts), so the two cannot drift apart: a
 * layer's name, kind, configuration, initialiser and inputs are decided here
 * and nowhere else.
 *
 * Layer names (inputs carry feature names and outputs task names; see names.ts):
 *   emb_<table>                         shared Embedding of a table
 *   feat_<f>_flat | feat_<f>_ids | feat_<f>_pool   feature plumbing
 *   concat_<node>
 *   expert_<node>_<i>_{dense,bn,act,dropout}_<j>   expert i of a group, layer j
 *   tower_<node>_{dense,bn,act,dropout}_<j>
 *   gate_<node> (softmax Dense), gate_<node>_{expert_<k>_row,stack,mix}
 *   task_<task>_head                    the one-unit Dense of a dense head
 *   aitm_<task>_{transfer,from_row,own_row,stack,value,query,key,attention}   AITM's transfer into a task
 * All indices are 0-based.
 */
import type {
  Activation,
  CategoricalFeatureIR,
  ConcatNodeIR,
  GateNodeIR,
  InitIR,
  MlpNodeIR,
  SequenceFeatureIR,
  ValidIR,
} from "../ir/types.js";
import { irWidths } from "../ir/widths.js";
import { graphInputs } from "../ir/blocks.js";
import { layerName, NameRegistry, names } from "./names.js";
import { deriveSeed } from "./seed.js";

/** Keras' Embedding default range, seeded. */
export const EMBEDDING_INIT_RANGE = 0.05;

/** tfjs initialisers by their `tf.initializers` name, seeded per layer. */
export type Initializer =
  | { type: "glorotUniform"; seed: number }
  | { type: "heUniform"; seed: number }
  | { type: "leCunUniform"; seed: number }
  | { type: "randomUniform"; minval: number; maxval: number; seed: number }
  | { type: "zeros" };

/** How a task head that reads an `input` directly (no network whose `init` it could follow) starts: Keras' Dense default. */
export const HEAD_ON_INPUT_INIT: InitIR = "glorot_uniform";

export type PoolMode = SequenceFeatureIR["pool"];

/** One layer's kind and configuration: exactly what its constructor takes, besides the name. */
export type LayerSpec =
  | { kind: "embedding"; inputDim: number; outputDim: number; embeddingsInitializer: Initializer }
  | { kind: "flatten" }
  /** Custom (src/portable/layers.ts): ids clamped into [0, maxId]. */
  | { kind: "clampIds"; maxId: number }
  /** Custom (src/portable/layers.ts): inputs [embeddings, raw ids]. */
  | { kind: "maskedSequencePooling"; mode: PoolMode }
  | { kind: "concatenate"; axis: number }
  | {
      kind: "dense";
      units: number;
      activation: Activation | "softmax";
      useBias: boolean;
      kernelInitializer: Initializer;
      biasInitializer: Initializer;
    }
  | { kind: "batchNormalization"; axis: number }
  | { kind: "activation"; activation: Activation | "sigmoid" }
  | { kind: "dropout"; rate: number; seed: number }
  | { kind: "reshape"; targetShape: number[] }
  | { kind: "dot"; axes: number }
  | { kind: "multiply" }
  /** Custom (src/portable/layers.ts): AITM's attention over [batch, 2, k]; inputs [query, key, value]. */
  | { kind: "aitAttention" };

export type LayerKind = LayerSpec["kind"];

export interface PlanLayer {
  name: string;
  spec: LayerSpec;
}

export interface PlanInput {
  /** The feature's or numeric block's name, which is also the input layer's name. */
  name: string;
  /** Without the batch axis. */
  shape: number[];
  dtype: "float32" | "int32";
}

/** What a step belongs to, for messages and for the comments of generated code. */
export interface PlanOwner {
  kind: "feature" | "node" | "task";
  name: string;
}

/**
 * One application of a layer. A tensor is named by the step that makes it:
 * an input's tensor is the feature's name, a step's output is the layer's
 * name, or `<layer>(<first input>)` for the one layer applied more than once
 * (a shared embedding table).
 */
export interface PlanStep {
  output: string;
  layer: string;
  inputs: string[];
  /** Shape of the output without the batch axis. */
  shape: number[];
  owner: PlanOwner;
}

export interface LayerPlan {
  /** The model's name, as a layer name. */
  name: string;
  /** One per graph input (a feature, or a numeric block of features), in the order of graphInputs (src/ir/blocks.ts). */
  inputs: PlanInput[];
  /** Every layer, in the order of first use. */
  layers: PlanLayer[];
  /** Layer applications in dependency order. */
  steps: PlanStep[];
  /** Per task in IR order: the tensor of its probability or value. */
  outputs: string[];
  /** Dense binary tasks: the tensor of the pre-sigmoid logit. */
  logits: Record<string, string>;
  /** Dropout layer name -> its base seed (train steps derive per-step seeds from it). */
  dropoutSeeds: Record<string, number>;
}

/**
 * The plan of `ir`. Deterministic: the same IR gives the same plan. The IR
 * passed the gate (src/ir/validate.ts), so every name it reads is declared
 * before its user and every width agrees; nothing here re-checks that.
 */
export function planLayers(ir: ValidIR): LayerPlan {
  return new Planner(ir).plan();
}

/** The layer called `name`. */
export function layerOf(plan: LayerPlan, name: string): PlanLayer {
  const layer = plan.layers.find((l) => l.name === name);
  if (layer === undefined) throw new Error(`the plan has no layer '${name}'`);
  return layer;
}

class Planner {
  private readonly registry = new NameRegistry();
  private readonly layers = new Map<string, PlanLayer>();
  private readonly steps: PlanStep[] = [];
  private readonly applied = new Set<string>();
  private readonly shapes = new Map<string, number[]>();
  /** Features and nodes by IR name: the tensors they evaluate to (an expert group of n, n tensors). */
  private readonly values = new Map<string, string[]>();
  private readonly dropoutSeeds: Record<string, number> = {};
  private owner: PlanOwner = { kind: "feature", name: "" };

  private readonly widths: ReadonlyMap<string, number>;

  constructor(private readonly ir: ValidIR) {
    this.widths = irWidths(ir);
  }

  plan(): LayerPlan {
    const inputs = graphInputs(this.ir).map((input): PlanInput => {
      if (input.kind === "numericBlock") {
        // Already filled, transformed and normalised by the encoder: the block is the concat's part as it is.
        const shape = [input.features.length];
        this.registry.claim(input.name, `the input of numeric block '${input.name}'`);
        this.shapes.set(input.name, shape);
        this.define(input.name, [input.name]);
        return { name: input.name, shape, dtype: "float32" };
      }
      const f = input.feature;
      const shape = f.kind === "sequence" ? [f.maxLen] : [1];
      this.registry.claim(f.name, `the input of feature '${f.name}'`);
      this.shapes.set(f.name, shape);
      return { name: f.name, shape, dtype: f.kind === "numeric" ? "float32" : "int32" };
    });
    const blocked = new Set(this.ir.numericBlocks.flatMap((b) => b.features));
    for (const feature of this.ir.features) {
      if (blocked.has(feature.name)) continue;
      this.owner = { kind: "feature", name: feature.name };
      const value =
        feature.kind === "numeric"
          ? feature.name
          : feature.kind === "categorical"
            ? this.categorical(feature)
            : this.sequence(feature);
      this.define(feature.name, [value]);
    }
    for (const node of this.ir.nodes) {
      this.owner = { kind: "node", name: node.name };
      if (node.op === "concat") this.define(node.name, [this.concat(node)]);
      else if (node.op === "mlp") this.define(node.name, this.mlpGroup(node));
      else this.define(node.name, [this.gate(node)]);
    }
    const { outputs, logits } = this.heads();
    return {
      name: layerName(this.ir.model.name),
      inputs,
      layers: [...this.layers.values()],
      steps: this.steps,
      outputs,
      logits,
      dropoutSeeds: this.dropoutSeeds,
    };
  }

  private seedFor(layer: string): number {
    return deriveSeed(this.ir.train.seed, layer);
  }

  /**
   * The kernel and bias initialisers of Dense `layer` reading `input`, under
   * `init` (none for a head on an `input`: HEAD_ON_INPUT_INIT). `torch` is nn.Linear's
   * default: kaiming_uniform(a = sqrt(5)) for the kernel, which is uniform in
   * ±1/sqrt(fan_in), and the bias uniform in the same range.
   */
  private denseInit(layer: string, init: InitIR | undefined, input: string, useBias: boolean): { kernelInitializer: Initializer; biasInitializer: Initializer } {
    const seed = this.seedFor(layer);
    const zeros: Initializer = { type: "zeros" };
    switch (init ?? HEAD_ON_INPUT_INIT) {
      case "glorot_uniform":
        return { kernelInitializer: { type: "glorotUniform", seed }, biasInitializer: zeros };
      case "he_uniform":
        return { kernelInitializer: { type: "heUniform", seed }, biasInitializer: zeros };
      case "lecun_uniform":
        return { kernelInitializer: { type: "leCunUniform", seed }, biasInitializer: zeros };
      case "torch": {
        const shape = this.shapes.get(input)!;
        const bound = 1 / Math.sqrt(shape[shape.length - 1]!);
        const uniform = (seed: number): Initializer => ({ type: "randomUniform", minval: -bound, maxval: bound, seed });
        return { kernelInitializer: uniform(seed), biasInitializer: useBias ? uniform(this.seedFor(`${layer}/bias`)) : zeros };
      }
    }
  }

  /** Declares a layer used once; its name is claimed for `user`. */
  private layer(name: string, spec: LayerSpec, user: string): string {
    this.registry.claim(name, user);
    this.layers.set(name, { name, spec });
    return name;
  }

  private apply(layer: string, inputs: string[]): string {
    const output = this.applied.has(layer) ? `${layer}(${inputs[0]})` : layer;
    this.applied.add(layer);
    const shape = outputShape(this.layers.get(layer)!.spec, inputs.map((i) => this.shapes.get(i)!));
    this.shapes.set(output, shape);
    this.steps.push({ output, layer, inputs, shape, owner: this.owner });
    return output;
  }

  private define(name: string, tensors: string[]): void {
    this.values.set(name, tensors);
  }

  /** The one tensor `name` (a feature or an earlier node, never an expert group: the gate saw to it) evaluates to. */
  private single(name: string): string {
    return this.values.get(name)![0]!;
  }

  /** The Embedding layer of a table, declared at its first use and shared afterwards. */
  private embedding(tableName: string): string {
    const name = names.embedding(tableName);
    if (this.layers.has(name)) return name;
    const table = this.ir.tables.find((t) => t.name === tableName)!;
    return this.layer(
      name,
      {
        kind: "embedding",
        inputDim: table.rows,
        outputDim: table.dim,
        embeddingsInitializer: {
          type: "randomUniform",
          minval: -EMBEDDING_INIT_RANGE,
          maxval: EMBEDDING_INIT_RANGE,
          seed: this.seedFor(name),
        },
      },
      `table '${tableName}'`,
    );
  }

  private categorical(feature: CategoricalFeatureIR): string {
    const user = `feature '${feature.name}'`;
    const looked = this.apply(this.embedding(feature.table), [feature.name]);
    return this.apply(this.layer(names.categoricalFlat(feature.name), { kind: "flatten" }, user), [looked]);
  }

  private sequence(feature: SequenceFeatureIR): string {
    const user = `feature '${feature.name}'`;
    const table = this.embedding(feature.table);
    const maxId = (this.layers.get(table)!.spec as { inputDim: number }).inputDim - 1;
    const ids = this.apply(this.layer(names.sequenceIds(feature.name), { kind: "clampIds", maxId }, user), [feature.name]);
    const looked = this.apply(table, [ids]);
    const pool = this.layer(names.sequencePool(feature.name), { kind: "maskedSequencePooling", mode: feature.pool }, user);
    return this.apply(pool, [looked, feature.name]);
  }

  private concat(node: ConcatNodeIR): string {
    const user = `concat '${node.name}'`;
    const parts = node.inputs.map((name) => this.single(name));
    // Keras' Concatenate refuses a single input; one input is already the result.
    return parts.length === 1 ? parts[0]! : this.apply(this.layer(names.concat(node.name), { kind: "concatenate", axis: -1 }, user), parts);
  }

  private mlpGroup(node: MlpNodeIR): string[] {
    const user = `${node.role} '${node.name}'`;
    const input = this.single(node.input);
    return Array.from({ length: node.count }, (_, i) => this.mlp(node, names.mlpPrefix(node.role, node.name, i), input, user));
  }

  /**
   * Dense -> [BatchNormalization] -> activation -> [Dropout] per layer. With
   * batch norm the Dense has no bias (BN's beta replaces it) and the activation
   * comes after the normalisation, as in the original BN paper.
   */
  private mlp(node: MlpNodeIR, prefix: string, input: string, user: string): string {
    let x = input;
    node.units.forEach((units, j) => {
      const dense = names.mlpDense(prefix, j);
      x = this.apply(
        this.layer(
          dense,
          {
            kind: "dense",
            units,
            activation: node.batchNorm ? "linear" : node.activation,
            useBias: !node.batchNorm,
            ...this.denseInit(dense, node.init, x, !node.batchNorm),
          },
          user,
        ),
        [x],
      );
      if (node.batchNorm) {
        x = this.apply(this.layer(`${prefix}_bn_${j}`, { kind: "batchNormalization", axis: -1 }, user), [x]);
        if (node.activation !== "linear") {
          x = this.apply(this.layer(`${prefix}_act_${j}`, { kind: "activation", activation: node.activation }, user), [x]);
        }
      }
      if (node.dropout > 0) {
        const name = `${prefix}_dropout_${j}`;
        const seed = this.seedFor(name);
        this.dropoutSeeds[name] = seed;
        x = this.apply(this.layer(name, { kind: "dropout", rate: node.dropout, seed }, user), [x]);
      }
    });
    return x;
  }

  /**
   * softmax(W x) · [f_1 .. f_n]: the experts are stacked to [batch, n, width]
   * and a Dot over the expert axis mixes them with the gate's n weights.
   */
  private gate(node: GateNodeIR): string {
    const user = `gate '${node.name}'`;
    const experts = node.experts.flatMap((group) => this.values.get(group)!);
    const width = this.widths.get(node.name)!;
    const gateName = names.gate(node.name);
    const input = this.single(node.input);
    const weights = this.apply(
      this.layer(gateName, { kind: "dense", units: experts.length, activation: "softmax", useBias: true, ...this.denseInit(gateName, node.init, input, true) }, user),
      [input],
    );
    const rows = experts.map((e, k) => this.apply(this.layer(names.gateRow(node.name, k), { kind: "reshape", targetShape: [1, width] }, user), [e]));
    const stacked = rows.length === 1 ? rows[0]! : this.apply(this.layer(names.gateStack(node.name), { kind: "concatenate", axis: 1 }, user), rows);
    return this.apply(this.layer(names.gateMix(node.name), { kind: "dot", axes: 1 }, user), [weights, stacked]);
  }

  /**
   * A dense head is a one-unit Dense giving a logit (binary, then a sigmoid)
   * or a value (regression); a product head multiplies the outputs of earlier
   * tasks. Each task's output layer carries the task's name.
   */
  private heads(): { outputs: string[]; logits: Record<string, string> } {
    const byTask = new Map<string, string>();
    const logits: Record<string, string> = {};
    /** What each dense task's head reads: its node, or AITM's z_t for a task with a transfer. */
    const headInputs = new Map<string, string>();
    for (const task of this.ir.tasks) {
      this.owner = { kind: "task", name: task.name };
      const user = `task '${task.name}'`;
      const outputName = task.name;
      let out: string;
      if (task.head.op === "dense") {
        const headName = names.taskHead(task.name);
        const reads = task.head.input;
        // The head is the last layer of the network it reads, so it starts as that network's layers do.
        const network = this.ir.nodes.find((n) => n.name === reads);
        const init = network && network.op !== "concat" ? network.init : undefined;
        const own = this.single(reads);
        const from = task.transfer && headInputs.get(task.transfer.from)!;
        const input = from === undefined ? own : this.transfer(task.name, from, own, init, user);
        headInputs.set(task.name, input);
        const raw = this.apply(
          this.layer(headName, { kind: "dense", units: 1, activation: "linear", useBias: true, ...this.denseInit(headName, init, input, true) }, user),
          [input],
        );
        if (task.type === "binary") logits[task.name] = raw;
        // A named identity for regression keeps the head's weights under
        // task_<name>_head for both task types.
        const activation = task.type === "binary" ? "sigmoid" : "linear";
        out = this.apply(this.layer(outputName, { kind: "activation", activation }, `the output of ${user}`), [raw]);
      } else {
        const factors = task.head.factors.map((f) => byTask.get(f)!);
        out = this.apply(
          this.layer(outputName, factors.length === 1 ? { kind: "activation", activation: "linear" } : { kind: "multiply" }, `the output of ${user}`),
          factors,
        );
      }
      byTask.set(task.name, out);
    }
    return { outputs: this.ir.tasks.map((t) => byTask.get(t.name)!), logits };
  }

  /**
   * AITM's adaptive information transfer (Xi et al., KDD 2021) into `task`:
   * p = relu(W z_from + b) carries the previous step's z (its own transfer's
   * output, or its node) at the width k of this task's node q; p and q are
   * stacked to [2, k] and z = sum_u softmax_u(<h2(u), h3(u)> / sqrt(k)) h1(u),
   * h1, h2, h3 linear maps k -> k without bias, as the paper's code has them.
   * Every Dense starts as the task's head does.
   */
  private transfer(task: string, from: string, own: string, init: InitIR | undefined, user: string): string {
    const width = this.shapes.get(own)!.at(-1)!;
    const name = (part: string) => names.aitm(task, part);
    const dense = (part: string, input: string, activation: Activation, useBias: boolean) =>
      this.apply(this.layer(name(part), { kind: "dense", units: width, activation, useBias, ...this.denseInit(name(part), init, input, useBias) }, user), [input]);
    const row = (part: string, input: string) => this.apply(this.layer(name(part), { kind: "reshape", targetShape: [1, width] }, user), [input]);
    const passed = dense("transfer", from, "relu", true);
    const stacked = this.apply(this.layer(name("stack"), { kind: "concatenate", axis: 1 }, user), [row("from_row", passed), row("own_row", own)]);
    const [value, query, key] = (["value", "query", "key"] as const).map((part) => dense(part, stacked, "linear", false));
    return this.apply(this.layer(name("attention"), { kind: "aitAttention" }, user), [query!, key!, value!]);
  }
}

/** A layer's output shape (without the batch axis) from its inputs' shapes. */
function outputShape(spec: LayerSpec, inputs: number[][]): number[] {
  const first = inputs[0]!;
  const last = (shape: number[]) => shape[shape.length - 1]!;
  switch (spec.kind) {
    case "embedding":
      return [...first, spec.outputDim];
    case "flatten":
      return [first.reduce((a, b) => a * b, 1)];
    case "clampIds":
    case "batchNormalization":
    case "activation":
    case "dropout":
    case "multiply":
      return first;
    case "maskedSequencePooling":
    case "aitAttention":
      return [last(first)];
    case "concatenate": {
      const axis = spec.axis < 0 ? first.length + spec.axis : spec.axis - 1;
      const out = [...first];
      out[axis] = inputs.reduce((n, s) => n + s[axis]!, 0);
      return out;
    }
    case "dense":
      return [...first.slice(0, -1), spec.units];
    case "reshape":
      return spec.targetShape;
    case "dot":
      // [n] · [n, width] over the expert axis.
      return inputs[1]!.slice(1);
  }
}

/** Trainable and non-trainable values a layer holds, given its plan step's input shape. */
export function weightCount(spec: LayerSpec, inputShape: number[]): number {
  switch (spec.kind) {
    case "embedding":
      return spec.inputDim * spec.outputDim;
    case "dense":
      return inputShape[inputShape.length - 1]! * spec.units + (spec.useBias ? spec.units : 0);
    case "batchNormalization":
      // gamma, beta, moving mean and variance.
      return 4 * inputShape[inputShape.length - 1]!;
    default:
      return 0;
  }
}

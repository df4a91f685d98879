/**
 * Runs a model's layer plan on concrete tensors: the forward pass of every
 * train step and of serving, without TF.js's functional-model machinery and
 * with the experts' first layers as one product.
 *
 * tf.LayersModel.apply re-walks the graph on every call and wraps each layer
 * in Layer.apply (name scopes, input-spec checks, output copies); on a small
 * model that bookkeeping costs as much as the arithmetic. The runner walks
 * the plan's steps once per call and invokes each layer's own `call`, the
 * same code Layer.apply ends in, on the same layer objects and variables, so
 * dropout seeds, batch-norm statistics and the sparse path's table swap all
 * behave as before.
 *
 * Dense layers that read the same tensor with the same activation and bias
 * setting (an expert group's first layers, a model's gates) are computed as
 * one product of the input with their kernels side by side, and the parts
 * are split off only where something reads them alone (and only when the
 * product is small, MAX_SPLIT_VALUES; otherwise such members are separate
 * products, as in the plain path). An MMoE gate's stack
 * of one-layer experts ([batch, experts, width]) is then a reshape of that
 * one product, with no per-expert reshapes or concatenation forward or
 * backward. The math is the same up to float rounding of the sums
 * (test/runtime/graph/plan-runner.test.ts compares outputs, gradients and
 * updated weights with the plain path for every architecture); the model's
 * variables, their names and saved weights are unchanged.
 */
import * as tf from "#tfjs";
import type { LayerPlan, LayerSpec, PlanStep } from "../../plan/layer-plan.js";
import { lookupConcat, type ConcatPart } from "./lookup-concat.js";

type DenseSpec = Extract<LayerSpec, { kind: "dense" }>;

/**
 * Values of a group's product (rows x the members' units) above which the
 * members are computed separately wherever their outputs are read one by one.
 * The MMoE synthetic model's experts at batch 64 make 8,192; dense-MMoE's
 * first expert layers at batch 1024 make 2 million, and split that way they
 * measured 0.8x the separate products.
 */
const MAX_SPLIT_VALUES = 65_536;

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

/** TF.js's fused matMul applies these itself (tfjs-layers' mapActivationToFusedKernel). */
const FUSED_ACTIVATIONS = new Set(["relu", "linear", "elu"]);

/** Dense layers computed as one product. */
interface DenseGroup {
  /** The tensor every member reads. */
  readonly input: string;
  /** Member steps in plan order; their outputs are the product's column blocks in this order. */
  readonly members: readonly PlanStep[];
  readonly layers: readonly DenseLayerLike[];
  readonly units: readonly number[];
  readonly spec: DenseSpec;
}

/** The parts of tf.layers.Dense the fused product reads. */
interface DenseLayerLike {
  kernel: { read(): tf.Tensor };
  bias: { read(): tf.Tensor } | null;
  activation: { apply(x: tf.Tensor): tf.Tensor };
}

/** A concatenation the runner replaces by a reshape of a group's product. */
interface Stack {
  readonly group: DenseGroup;
  /** The shape of the stack without the batch axis. */
  readonly shape: readonly number[];
}

/** How a concatenation's column block is made: a categorical feature's lookup (embedding, then flatten), or a tensor as it is. */
type PartPlan =
  | { kind: "lookup"; ids: string; embedding: CallableLayer & EmbeddingLike; flatten: CallableLayer; dim: number }
  | { kind: "tensor"; name: string; width: number };

interface EmbeddingLike {
  embeddings: { read(): tf.Tensor };
}

interface CallableLayer {
  call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training: boolean }): tf.Tensor | tf.Tensor[];
}

export class PlanRunner {
  private readonly layers = new Map<string, CallableLayer>();
  /** A member step's output -> its group. */
  private readonly memberOf = new Map<string, DenseGroup>();
  /** A concatenate step's output -> the group product it is a reshape of. */
  private readonly stacks = new Map<string, Stack>();
  /** Steps the runner never runs: reshapes read only by replaced stacks, lookups done by a lookup concatenation. */
  private readonly skipped = new Set<string>();
  /** A concatenate step's output -> its column blocks, when some are embedding lookups (lookup-concat.ts). */
  private readonly lookupConcats = new Map<string, PartPlan[]>();

  constructor(
    private readonly plan: LayerPlan,
    model: tf.LayersModel,
  ) {
    // A layer no output depends on (a node nothing reads) is not in the model: its steps never run.
    const present = new Map(model.layers.map((l) => [l.name, l]));
    for (const layer of plan.layers) {
      const found = present.get(layer.name);
      if (found !== undefined) this.layers.set(layer.name, found as unknown as CallableLayer);
    }
    for (const step of plan.steps) if (!this.layers.has(step.layer)) this.skipped.add(step.output);
    const specs = new Map(plan.layers.map((l) => [l.name, l.spec]));
    const readers = new Map<string, PlanStep[]>();
    for (const step of plan.steps) for (const input of step.inputs) readers.set(input, [...(readers.get(input) ?? []), step]);

    // Group the Dense steps by what they read and how they finish.
    const candidates = new Map<string, PlanStep[]>();
    for (const step of plan.steps) {
      const spec = specs.get(step.layer)!;
      // Only 2-D products ([batch, in] x [in, units]) of layers applied once.
      if (spec.kind !== "dense" || step.output !== step.layer || step.shape.length !== 1 || this.skipped.has(step.output)) continue;
      const key = `${step.inputs[0]}|${spec.activation}|${spec.useBias}`;
      candidates.set(key, [...(candidates.get(key) ?? []), step]);
    }
    for (const members of candidates.values()) {
      if (members.length < 2) continue;
      const group: DenseGroup = {
        input: members[0]!.inputs[0]!,
        members,
        layers: members.map((m) => model.getLayer(m.layer) as unknown as DenseLayerLike),
        units: members.map((m) => (specs.get(m.layer) as DenseSpec).units),
        spec: specs.get(members[0]!.layer) as DenseSpec,
      };
      for (const m of members) this.memberOf.set(m.output, group);
    }

    this.planLookupConcats(model, specs, readers);

    // A gate's stack of row reshapes of a whole group's outputs, in order, is the product reshaped.
    for (const step of plan.steps) {
      const spec = specs.get(step.layer)!;
      if (spec.kind !== "concatenate" || spec.axis !== 1) continue;
      const rows = step.inputs.map((name) => plan.steps.find((s) => s.output === name));
      const sources = rows.map((row) => {
        const rowSpec = row === undefined ? undefined : specs.get(row.layer);
        return rowSpec?.kind === "reshape" && rowSpec.targetShape.length === 2 && rowSpec.targetShape[0] === 1 ? row!.inputs[0]! : undefined;
      });
      const group = sources[0] === undefined ? undefined : this.memberOf.get(sources[0]);
      if (group === undefined || group.spec.activation === "softmax") continue;
      const inOrder = sources.length === group.members.length && sources.every((s, i) => s === group.members[i]!.output);
      if (!inOrder || group.units.some((u) => u !== group.units[0])) continue;
      this.stacks.set(step.output, { group, shape: step.shape });
      for (const row of rows) if (readers.get(row!.output)!.every((r) => r.output === step.output)) this.skipped.add(row!.output);
    }
  }

  /**
   * Concatenations of categorical features' lookups: a part is a lookup when
   * it is the flatten of an embedding of a [batch, 1] input, read by nothing
   * else, so the two steps can be skipped.
   */
  private planLookupConcats(model: tf.LayersModel, specs: ReadonlyMap<string, LayerSpec>, readers: ReadonlyMap<string, PlanStep[]>): void {
    const stepOf = new Map(this.plan.steps.map((s) => [s.output, s]));
    const widthOf = new Map<string, number>([
      ...this.plan.inputs.map((i) => [i.name, i.shape.length === 1 ? i.shape[0]! : NaN] as const),
      ...this.plan.steps.map((s) => [s.output, s.shape.length === 1 ? s.shape[0]! : NaN] as const),
    ]);
    const onlyReader = (name: string, reader: string) => readers.get(name)?.every((r) => r.output === reader) === true;
    for (const step of this.plan.steps) {
      const spec = specs.get(step.layer)!;
      if (spec.kind !== "concatenate" || spec.axis !== -1 || this.skipped.has(step.output)) continue;
      const parts = step.inputs.map((name): PartPlan | null => {
        const flat = stepOf.get(name);
        const looked = flat === undefined ? undefined : stepOf.get(flat.inputs[0]!);
        const input = looked === undefined ? undefined : this.plan.inputs.find((i) => i.name === looked.inputs[0]);
        if (
          flat !== undefined && looked !== undefined && input !== undefined &&
          specs.get(flat.layer)!.kind === "flatten" && specs.get(looked.layer)!.kind === "embedding" &&
          input.dtype === "int32" && input.shape.length === 1 && input.shape[0] === 1 &&
          onlyReader(flat.output, step.output) && onlyReader(looked.output, flat.output)
        ) {
          return {
            kind: "lookup",
            ids: input.name,
            embedding: model.getLayer(looked.layer) as unknown as CallableLayer & EmbeddingLike,
            flatten: model.getLayer(flat.layer) as unknown as CallableLayer,
            dim: widthOf.get(flat.output)!,
          };
        }
        const width = widthOf.get(name);
        return width === undefined || Number.isNaN(width) ? null : { kind: "tensor", name, width };
      });
      if (parts.some((p) => p === null) || !parts.some((p) => p!.kind === "lookup")) continue;
      this.lookupConcats.set(step.output, parts as PartPlan[]);
      for (const name of step.inputs) {
        const flat = stepOf.get(name)!;
        if (parts[step.inputs.indexOf(name)]!.kind === "lookup") this.skipped.add(flat.output).add(flat.inputs[0]!);
      }
    }
  }

  /** What the runner computes differently from the plan's steps, for tests: each product's layers, and the stacks replaced by a reshape. */
  describe(): { products: string[][]; stacks: string[]; lookupConcats: string[] } {
    const groups = new Set(this.memberOf.values());
    return {
      products: [...groups].map((g) => g.members.map((m) => m.layer)),
      stacks: [...this.stacks.keys()],
      lookupConcats: [...this.lookupConcats.keys()],
    };
  }

  /**
   * The tensors named `wanted` (plan tensor names) for `inputs` in the order
   * of plan.inputs. Intermediate tensors are left to the caller's tidy.
   */
  run(inputs: readonly tf.Tensor[], training: boolean, wanted: readonly string[]): tf.Tensor[] {
    const values = new Map<string, tf.Tensor>();
    this.plan.inputs.forEach((input, i) => values.set(input.name, inputs[i]!));
    const products = new Map<DenseGroup, tf.Tensor>();
    const kwargs = { training };

    const product = (group: DenseGroup): tf.Tensor => {
      let z = products.get(group);
      if (z === undefined) {
        z = groupProduct(group, value(group.input));
        products.set(group, z);
      }
      return z;
    };
    const value = (name: string): tf.Tensor => {
      const known = values.get(name);
      if (known !== undefined) return known;
      const group = this.memberOf.get(name);
      if (group === undefined) throw new Error(`the plan runner has no tensor '${name}' yet`);
      const input = value(group.input);
      if (!products.has(group) && input.shape[0]! * sum(group.units) > MAX_SPLIT_VALUES) {
        // Splitting a large product copies every value twice per step (the split, and its gradient's
        // concatenation), more than the separate products' kernel calls cost: each member on its own.
        const member = group.members.find((m) => m.output === name)!;
        const out = this.layers.get(member.layer)!.call([input], kwargs);
        values.set(name, Array.isArray(out) ? out[0]! : out);
        return values.get(name)!;
      }
      // Split the product once, where a member's output is read on its own.
      const parts = tf.split(product(group), [...group.units], 1);
      group.members.forEach((m, i) => {
        const part = parts[i]!;
        values.set(m.output, group.spec.activation === "softmax" ? tf.softmax(part) : part);
      });
      return values.get(name)!;
    };

    for (const step of this.plan.steps) {
      if (this.skipped.has(step.output) || this.memberOf.has(step.output)) continue;
      const stack = this.stacks.get(step.output);
      if (stack !== undefined) {
        values.set(step.output, tf.reshape(product(stack.group), [-1, ...stack.shape]));
        continue;
      }
      const parts = this.lookupConcats.get(step.output);
      if (parts !== undefined) {
        values.set(step.output, concatOfParts(parts, value, kwargs, this.layers.get(step.layer)!));
        continue;
      }
      const out = this.layers.get(step.layer)!.call(step.inputs.map(value), kwargs);
      values.set(step.output, Array.isArray(out) ? out[0]! : out);
    }
    return wanted.map(value);
  }
}

/** A lookup concatenation's value: one operation where the backend allows, else each lookup and the concatenation by their layers. */
function concatOfParts(parts: readonly PartPlan[], value: (name: string) => tf.Tensor, kwargs: { training: boolean }, concat: CallableLayer): tf.Tensor {
  const fused = lookupConcat(
    parts.map((p): ConcatPart =>
      p.kind === "lookup"
        ? { kind: "lookup", ids: value(p.ids), table: p.embedding.embeddings.read(), dim: p.dim }
        : { kind: "tensor", tensor: value(p.name), width: p.width },
    ),
  );
  if (fused !== null) return fused;
  const single = (out: tf.Tensor | tf.Tensor[]) => (Array.isArray(out) ? out[0]! : out);
  const tensors = parts.map((p) =>
    p.kind === "lookup" ? single(p.flatten.call([single(p.embedding.call([value(p.ids)], kwargs))], kwargs)) : value(p.name),
  );
  return single(concat.call(tensors, kwargs));
}

/** The group's Dense layers as one product: input x [kernels side by side] + [biases], activated. */
function groupProduct(group: DenseGroup, input: tf.Tensor): tf.Tensor {
  const kernel = tf.concat(group.layers.map((l) => l.kernel.read()), 1);
  const bias = group.spec.useBias ? tf.concat(group.layers.map((l) => l.bias!.read()), 0) : undefined;
  const fused = FUSED_ACTIVATIONS.has(group.spec.activation);
  const z = tf.fused.matMul({
    a: input as tf.Tensor2D,
    b: kernel as tf.Tensor2D,
    bias,
    activation: fused ? (group.spec.activation as "relu" | "linear" | "elu") : "linear",
  });
  // Softmax is per member (after the split); any other activation is elementwise, so one call does every member.
  return fused || group.spec.activation === "softmax" ? z : group.layers[0]!.activation.apply(z);
}

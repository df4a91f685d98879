/**
 * The layer plan compiled once into a forward-only typed-array program, for
 * predictions (forward.ts). Unlike the training Program it copies no
 * concatenation it can avoid: a tensor that only feeds a concatenation (and
 * readers that take rows at a stride) is written straight into its columns of
 * the concatenation's rows, so embedding rows are gathered into the first
 * layer's input and each expert's last layer writes its block of the gates'
 * stack (the product's ldc). Buffers are sized for the largest batch seen and
 * reused; weights stay in the TF.js variables, viewed before each run.
 *
 * Only for plans fusedUnsupported (support.ts) accepts for inference.
 */
import * as tf from "#tfjs";
import type { LayerPlan, PlanStep } from "../../plan/layer-plan.js";
import { writableRows } from "../backend/tensor-memory.js";
import type { FusedActivation } from "./activations.js";
import type { Gemm } from "./gemm.js";
import { ActivateOp, ConcatCopyOp, DenseForwardOp, GatherOp, Mix2Op, MixOp, MultiplyForwardOp, newSlot, place, type ForwardOp, type Slot, type WeightView } from "./infer-ops.js";
import { neededSteps } from "./program.js";
import { SimdArena } from "./arena.js";

interface DenseLayerLike {
  kernel: { read(): tf.Tensor };
  bias: { read(): tf.Tensor } | null;
}

/** Who writes a tensor, which decides whether it can be written at a stride into a concatenation. */
type Producer = "input" | "gather" | "dense-strided" | "concat" | "other";

export class InferenceProgram {
  /** Each task's output, [rows, 1] contiguous, by task name. */
  readonly outputs: Record<string, Slot>;
  private ops: ForwardOp[] = [];
  private readonly slots = new Map<string, Slot>();
  private readonly floatInputs: { name: string; slot: Slot }[] = [];
  private readonly gathers: GatherOp[] = [];
  private readonly weights: WeightView[] = [];
  /** One row per Dense bias, in the kernels' memory (SIMD only). */
  private readonly biasRows: Slot[] = [];
  private capacity = 0;

  /** The SIMD kernels and the memory the program's own tensors live in; null: JavaScript loops over JavaScript arrays. */
  private readonly simd: SimdArena | null;

  /** `simd` false: the JavaScript loops even where WebAssembly SIMD runs (the reference the tests compare with); an arena: that one. */
  constructor(ir: { tasks: readonly { name: string }[] }, plan: LayerPlan, model: tf.LayersModel, gemm: Gemm, simd: boolean | SimdArena = true) {
    this.simd = simd === true ? SimdArena.create() : simd === false ? null : simd;
    const kernels = this.simd?.kernels ?? null;
    const specs = new Map(plan.layers.map((l) => [l.name, l.spec]));
    const steps = neededSteps(plan.steps, plan.outputs);
    const producers = new Map<Slot, Producer>();
    const readers = new Map<Slot, Set<string>>();
    const weightOf = new Map<tf.Tensor, WeightView>();
    const weight = (t: tf.Tensor): WeightView => {
      let w = weightOf.get(t);
      if (w === undefined) {
        w = { variable: t, view: new Float32Array(0) };
        weightOf.set(t, w);
        this.weights.push(w);
      }
      return w;
    };
    const slotOf = (name: string) => this.slots.get(name)!;
    for (const input of plan.inputs) {
      if (input.dtype !== "float32") continue;
      const slot = newSlot(input.name, tf.util.sizeFromShape(input.shape));
      this.slots.set(input.name, slot);
      this.floatInputs.push({ name: input.name, slot });
      producers.set(slot, "input");
    }
    const concatenations = new Map<string, Slot>();
    /** Each concatenation's parts, and each gather's output: a Dense layer over a concatenation splits its product where gathered rows repeat. */
    const partsOf = new Map<Slot, Slot[]>();
    const gatherOf = new Map<Slot, GatherOp>();
    const unpairedMixes = new Map<Slot, MixOp>();
    const concatSteps: { step: PlanStep; out: Slot; op: ConcatCopyOp }[] = [];
    for (const step of steps) {
      const spec = specs.get(step.layer)!;
      const inputs = step.inputs.map((name) => this.slots.get(name));
      const produce = (producer: Producer) => {
        const slot = newSlot(step.output, tf.util.sizeFromShape(step.shape));
        this.slots.set(step.output, slot);
        producers.set(slot, producer);
        return slot;
      };
      const read = (kind: string) => {
        for (const slot of inputs) if (slot !== undefined) (readers.get(slot) ?? readers.set(slot, new Set()).get(slot)!).add(kind);
      };
      const alias = () => this.slots.set(step.output, inputs[0]!);
      switch (spec.kind) {
        case "embedding": {
          const table = (model.getLayer(step.layer) as unknown as { embeddings: { read(): tf.Tensor } }).embeddings.read();
          const op = new GatherOp(step.inputs[0]!, weight(table), spec.inputDim, spec.outputDim, produce("gather"));
          gatherOf.set(op.out, op);
          this.gathers.push(op);
          this.ops.push(op);
          break;
        }
        case "flatten":
        case "reshape":
        case "dropout":
          alias();
          break;
        case "activation":
          if (spec.activation === "linear") alias();
          else {
            read("contiguous");
            this.ops.push(new ActivateOp(spec.activation, inputs[0]!, produce("other")));
          }
          break;
        case "concatenate": {
          // MMoE's gates each stack the same experts (through reshapes of their own): one stack serves them all.
          const key = inputs.map((slot) => slot!.id).join(",");
          const same = concatenations.get(key);
          if (same !== undefined) {
            this.slots.set(step.output, same);
            break;
          }
          read("strided");
          const out = produce("concat");
          concatenations.set(key, out);
          partsOf.set(out, inputs.map((slot) => slot!));
          // Copies the parts that end up not placed in its rows (decided once every reader is known, below).
          const op = new ConcatCopyOp(out);
          concatSteps.push({ step, out, op });
          this.ops.push(op);
          break;
        }
        case "dense": {
          read("strided");
          const layer = model.getLayer(step.layer) as unknown as DenseLayerLike;
          const activation = spec.activation as FusedActivation;
          const bias = spec.useBias ? weight(layer.bias!.read()) : null;
          const out = produce(activation === "relu" || activation === "linear" ? "dense-strided" : "other");
          const gathered = gatheredParts(partsOf.get(inputs[0]!) ?? [], gatherOf);
          const biasRow = (bias !== null || gathered.length > 0) && kernels !== null ? newSlot(`${step.output}/bias`, spec.units) : null;
          if (biasRow !== null) this.biasRows.push(biasRow);
          this.ops.push(new DenseForwardOp(gemm, inputs[0]!, out, weight(layer.kernel.read()), bias, activation, kernels, biasRow, gathered));
          break;
        }
        case "dot": {
          read("strided");
          const op = new MixOp(inputs[0]!, inputs[1]!, produce("other"), kernels);
          // A second gate over a stack whose first mix nothing has read yet: both in one pass over the stack.
          const first = kernels === null ? undefined : unpairedMixes.get(inputs[1]!);
          if (first !== undefined && !readers.has(first.slots.out)) {
            this.ops.splice(this.ops.indexOf(first), 1);
            this.ops.push(new Mix2Op(first, op, kernels!));
            unpairedMixes.delete(inputs[1]!);
          } else {
            this.ops.push(op);
            unpairedMixes.set(inputs[1]!, op);
          }
          break;
        }
        case "multiply":
          read("contiguous");
          this.ops.push(new MultiplyForwardOp(inputs.map((s) => s!), produce("other")));
          break;
        default:
          throw new Error(`the fused forward pass has no '${spec.kind}' layer (fusedUnsupported should have said so)`);
      }
    }
    const outputs = new Set(plan.outputs.map(slotOf));
    // Outermost concatenations first, so a nested one is placed before its own parts are.
    for (const { step, out, op } of [...concatSteps].reverse()) {
      const parts = step.inputs.map(slotOf);
      let at = 0;
      for (const part of parts) {
        const placeable =
          part.owner === null &&
          !outputs.has(part) &&
          parts.filter((p) => p === part).length === 1 &&
          ["gather", "dense-strided", "concat"].includes(producers.get(part)!) &&
          !(readers.get(part)?.has("contiguous") ?? false);
        if (placeable) {
          part.owner = out;
          part.at = at;
        } else op.parts.push({ slot: part, at });
        at += part.width;
      }
    }
    this.ops = this.ops.filter((op) => !(op instanceof ConcatCopyOp && op.parts.length === 0));
    this.outputs = Object.fromEntries(ir.tasks.map((t, i) => [t.name, slotOf(plan.outputs[i]!)]));
  }

  /** The tensors a concatenation still copies (the rest are written into its rows in place), for tests and profiles. */
  copiedParts(): string[] {
    return this.ops.flatMap((op) => (op instanceof ConcatCopyOp ? op.parts.map((p) => p.slot.name) : []));
  }

  /** How many Dense products the last batch split into repeated and varying columns (DenseForwardOp), for tests and profiles. */
  splitProducts(): number {
    return this.ops.filter((op) => op instanceof DenseForwardOp && op.split).length;
  }

  /** Runs the batch: `size` rows of float inputs (read in place) and ids, by graph input name. */
  run(size: number, features: Record<string, Int32Array | Float32Array>): void {
    if (size > this.capacity) this.allocate(size);
    for (const { name, slot } of this.floatInputs) {
      const values = features[name];
      if (!(values instanceof Float32Array) || values.length < size * slot.width) throw new Error(`the batch has no float32 [${size}, ${slot.width}] input '${name}'`);
      slot.store = slot.view = values;
    }
    for (const op of this.gathers) {
      const ids = features[op.input];
      if (!(ids instanceof Int32Array) || ids.length < size) throw new Error(`the batch has no int32 [${size}] input '${op.input}'`);
      op.ids = ids;
    }
    // Views of the weights' storage, taken now: no TF.js call runs between here and the last op.
    for (const w of this.weights) w.view = writableRows(w.variable)!;
    for (const op of this.ops) op.forward(size);
  }

  private allocate(rows: number): void {
    const all = new Set(this.slots.values());
    for (const { slot } of this.floatInputs) all.delete(slot);
    const roots = [...all].filter((slot) => slot.owner === null);
    const regions = [...roots.map((slot) => ({ slot, floats: rows * slot.width })), ...this.biasRows.map((slot) => ({ slot, floats: slot.width }))];
    const laid = this.simd?.layout(regions.map((r) => r.floats)) ?? null;
    // No arena, or a batch too large for its memory: JavaScript arrays, outside the arena (address -1), for the loops.
    regions.forEach(({ slot, floats }, i) => {
      const region = laid?.[i];
      slot.address = region?.address ?? -1;
      slot.store = slot.view = region?.view ?? new Float32Array(floats);
    });
    for (const slot of all) if (slot.owner !== null) place(slot);
    this.capacity = rows;
  }
}

/** A concatenation's gathered parts and their first columns. */
function gatheredParts(parts: readonly Slot[], gatherOf: ReadonlyMap<Slot, GatherOp>): { gather: GatherOp; at: number; width: number }[] {
  const gathered: { gather: GatherOp; at: number; width: number }[] = [];
  let at = 0;
  for (const part of parts) {
    const gather = gatherOf.get(part);
    if (gather !== undefined) gathered.push({ gather, at, width: part.width });
    at += part.width;
  }
  return gathered;
}

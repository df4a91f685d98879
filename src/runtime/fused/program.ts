/**
 * The layer plan compiled once into a typed-array program: one Buf per plan
 * tensor the task outputs depend on (reshapes, flattens and linear
 * activations share their input's), one Op per other step, in plan order
 * forward and reversed backward. Weights stay in the TF.js variables; the
 * step binds views of their storage before each run (bindViews).
 *
 * With `simd` (the default where WebAssembly SIMD runs), the Bufs' values and
 * gradients live in one SIMD arena (arena.ts), laid out once per batch size,
 * and the element-wise passes of Dense layers and the gates' mixes run as its
 * kernels (simd.ts); an MMoE's two gates over one stack become one DotPairOp.
 * Without, the same ops run their JavaScript loops on JavaScript arrays (the
 * reference the tests compare the kernels with; MTL_FUSED_SIMD=off).
 *
 * Only for plans fusedSupport (support.ts) accepts.
 */
import * as tf from "#tfjs";
import type { PlanStep } from "../../plan/layer-plan.js";
import { names } from "../../plan/names.js";
import type { BuiltModel } from "../graph/build-model.js";
import type { FusedActivation } from "./activations.js";
import { Buf, param, type Op, type Param } from "./buffers.js";
import { DenseOp } from "./dense.js";
import type { Gemm } from "./gemm.js";
import { ActivationOp, allocateStages, ConcatOp, DotOp, DotPairOp, DropoutOp, EmbeddingOp, MultiplyOp, ReluStack, stageGathers } from "./layers.js";
import { SimdArena, type Region } from "./arena.js";
import { FusedLoss } from "./loss.js";
import { TableParam } from "./tables.js";

interface DenseLike {
  kernel: { read(): tf.Tensor };
  bias: { read(): tf.Tensor } | null;
}

/** The batch as typed arrays, by graph input name (EncodedFeatures' layout). */
export interface FusedFeatures {
  size: number;
  features: Record<string, Int32Array | Float32Array>;
}

/** What a program is compiled from: the IR, its plan, and a model holding the plan's layers. */
export interface ProgramSource {
  readonly ir: BuiltModel["ir"];
  readonly plan: BuiltModel["plan"];
  /** The training model (its trainable weights give the optimiser's slot order). */
  readonly model: tf.LayersModel;
}

export class Program {
  /** Dense weights in the order of the model's trainable weights (the optimiser's slot order). */
  readonly params: Param[];
  /** Dense kernels, which train.l2 penalises. */
  readonly kernels: Param[];
  readonly tables: TableParam[];
  readonly loss: FusedLoss;
  /** Each task's output Buf, by task name. */
  readonly outputs: Record<string, Buf>;
  private readonly ops: Op[] = [];
  private readonly bufs = new Map<string, Buf>();
  private readonly floatInputs: { name: string; buf: Buf }[] = [];
  private readonly lookups: EmbeddingOp[] = [];
  private readonly concatOps: ConcatOp[];
  /** Bufs whose producer writes into a concatenation instead (placeParts): never read, so never allocated. */
  private readonly placed = new Set<Buf>();
  /** Dropout layers, whose masks the step draws before each run. */
  readonly dropouts: DropoutOp[] = [];
  private capacity = 0;
  /** Where the Bufs live and the kernels that run on them; null: JavaScript arrays and loops (also from a batch too large for it on). */
  private arena: SimdArena | null;
  private readonly denseOps: DenseOp[] = [];
  /** Stacks whose mix does their experts' relu backward (ReluStack). */
  private readonly reluStacks: ReluStack[] = [];

  /** `simd` false: the JavaScript loops even where WebAssembly SIMD runs; an arena: that one (the tests': one of a small maximum). */
  constructor(source: ProgramSource, gemm: Gemm, simd: boolean | SimdArena = true) {
    const { plan, model: trainingModel, ir } = source;
    this.arena = simd === true ? SimdArena.create() : simd === false ? null : simd;
    const simdKernels = this.arena?.kernels ?? null;
    /** A gate's mix over each stack that no second gate has joined yet, while nothing has read its output. */
    const unpaired = new Map<Buf, DotOp>();
    const specs = new Map(plan.layers.map((l) => [l.name, l.spec]));
    const needed = neededSteps(plan.steps, [...plan.outputs, ...Object.values(plan.logits)]);
    const byVariable = new Map<tf.Variable, Param>();
    const tableByLayer = new Map<string, TableParam>();
    const kernels: Param[] = [];
    const paramOf = (t: tf.Tensor) => {
      const v = t as tf.Variable;
      let p = byVariable.get(v);
      if (p === undefined) byVariable.set(v, (p = param(v)));
      return p;
    };
    for (const input of plan.inputs) {
      if (input.dtype !== "float32") continue;
      const buf = new Buf(input.name, tf.util.sizeFromShape(input.shape), false);
      this.bufs.set(input.name, buf);
      this.floatInputs.push({ name: input.name, buf });
    }
    const concatenations = new Map<string, Buf>();
    const concatOps: ConcatOp[] = [];
    /** Who reads each Buf (a step's output name, a concatenation's key, or the loss): a part read once can be placed. */
    const readers = new Map<Buf, Set<string>>();
    const read = (buf: Buf | undefined, by: string) => {
      if (buf !== undefined) readers.set(buf, (readers.get(buf) ?? new Set()).add(by));
    };
    const producers = new Map<Buf, EmbeddingOp | DenseOp>();
    const lookupsPerTable = new Map<string, number>();
    for (const step of needed) if (specs.get(step.layer)!.kind === "embedding") lookupsPerTable.set(step.layer, (lookupsPerTable.get(step.layer) ?? 0) + 1);

    for (const step of needed) {
      const spec = specs.get(step.layer)!;
      const inputs = step.inputs.map((name) => this.bufs.get(name));
      const width = tf.util.sizeFromShape(step.shape);
      const produce = (trained: boolean) => {
        const buf = new Buf(step.output, width, trained || inputs.some((b) => b?.needsGrad === true));
        this.bufs.set(step.output, buf);
        return buf;
      };
      const alias = () => this.bufs.set(step.output, inputs[0]!);
      const isAlias = spec.kind === "flatten" || spec.kind === "reshape" || (spec.kind === "activation" && spec.activation === "linear");
      // The Bufs' own names: each gate reshapes the experts under names of its own, into the same Bufs.
      const concatKey = `concat\u0000${inputs.map((b) => b?.name).join("\u0000")}`;
      if (!isAlias) for (const b of inputs) read(b, spec.kind === "concatenate" ? concatKey : step.output);
      switch (spec.kind) {
        case "embedding": {
          let table = tableByLayer.get(step.layer);
          if (table === undefined) {
            const variable = (trainingModel.getLayer(step.layer) as unknown as { embeddings: { read(): tf.Tensor } }).embeddings.read() as tf.Variable;
            table = new TableParam(ir.tables.find((t) => names.embedding(t.name) === step.layer)!.name, variable, spec.inputDim, spec.outputDim, lookupsPerTable.get(step.layer)!);
            tableByLayer.set(step.layer, table);
          }
          const op = new EmbeddingOp(step.inputs[0]!, table, produce(true));
          producers.set(op.out, op);
          this.lookups.push(op);
          this.ops.push(op);
          break;
        }
        case "flatten":
        case "reshape":
          alias();
          break;
        case "activation":
          if (spec.activation === "linear") alias();
          else this.ops.push(new ActivationOp(spec.activation, inputs[0]!, produce(false)));
          break;
        case "concatenate": {
          // MMoE's gates each stack the same experts: one stack serves them all (its gradient sums theirs).
          const same = concatenations.get(concatKey);
          if (same !== undefined) {
            this.bufs.set(step.output, same);
            break;
          }
          const out = produce(false);
          concatenations.set(concatKey, out);
          const op = new ConcatOp(inputs.map((b) => b!), out);
          concatOps.push(op);
          this.ops.push(op);
          break;
        }
        case "dense": {
          const layer = trainingModel.getLayer(step.layer) as unknown as DenseLike;
          const kernel = paramOf(layer.kernel.read());
          kernels.push(kernel);
          const bias = spec.useBias ? paramOf(layer.bias!.read()) : null;
          const op = new DenseOp(gemm, inputs[0]!, produce(true), kernel, bias, spec.activation as FusedActivation, simdKernels);
          producers.set(op.y, op);
          this.denseOps.push(op);
          this.ops.push(op);
          break;
        }
        case "dot": {
          const op = new DotOp(inputs[0]!, inputs[1]!, produce(false), simdKernels);
          // A second gate over a stack whose first mix nothing has read yet: both at the second's place, one pass over the stack.
          const first = simdKernels === null ? undefined : unpaired.get(op.stack);
          if (first !== undefined && !readers.has(first.out)) {
            this.ops.splice(this.ops.indexOf(first), 1);
            this.ops.push(new DotPairOp(first, op));
            unpaired.delete(op.stack);
          } else {
            this.ops.push(op);
            unpaired.set(op.stack, op);
          }
          break;
        }
        case "multiply":
          this.ops.push(new MultiplyOp(inputs.map((b) => b!), produce(false)));
          break;
        case "dropout": {
          const op = new DropoutOp(step.layer, spec.rate, inputs[0]!, produce(false));
          this.dropouts.push(op);
          this.ops.push(op);
          break;
        }
        default:
          throw new Error(`the fused step has no '${spec.kind}' layer (fusedSupport should have said so)`);
      }
    }
    const tableVariables = new Set([...tableByLayer.values()].map((t) => t.variable));
    this.params = trainingModel.trainableWeights
      .map((w) => w.read() as tf.Variable)
      .filter((v) => !tableVariables.has(v))
      .map((v) => {
        const p = byVariable.get(v);
        if (p === undefined) throw new Error(`weight '${v.name}' is in no layer the fused step runs`);
        return p;
      });
    this.kernels = kernels;
    this.tables = [...tableByLayer.values()];
    this.outputs = Object.fromEntries(ir.tasks.map((t, i) => [t.name, this.bufs.get(plan.outputs[i]!)!]));
    const bufOf = (name: string) => this.bufs.get(name)!;
    for (const name of [...plan.outputs, ...Object.values(plan.logits)]) read(this.bufs.get(name), "loss");
    for (const op of concatOps) this.placeParts(op, readers, producers);
    stageGathers(this.ops);
    this.concatOps = concatOps;
    for (const op of this.ops) if (op instanceof DotPairOp) this.reluStackOf(op, producers, readers);
    this.loss = new FusedLoss(ir.tasks, bufOf, plan.logits, Object.fromEntries(ir.tasks.map((t, i) => [t.name, plan.outputs[i]!])));
  }

  /** Each concatenation the program runs (one per distinct list of parts): its parts, and how many of them their producers write in place. */
  concatenations(): { name: string; parts: number; placed: number }[] {
    return this.concatOps.map((op) => ({ name: op.out.name, parts: op.parts.length, placed: op.parts.filter((p) => this.placed.has(p)).length }));
  }

  /** Whether the Bufs live in a SIMD arena and the kernels run (false: no WebAssembly SIMD, or simd was turned off). */
  get simd(): boolean {
    return this.arena !== null;
  }

  /**
   * Each gate's mix by its stack's name: "paired" when two gates share one pass over the stack (DotPairOp),
   * "relu" when that pass also does the experts' relu backward (ReluStack).
   */
  mixes(): { stack: string; paired: boolean; relu: boolean }[] {
    return this.ops.flatMap<{ stack: string; paired: boolean; relu: boolean }>((op) =>
      op instanceof DotPairOp
        ? [{ stack: op.first.stack.name, paired: true, relu: op.reluStack !== null }]
        : op instanceof DotOp
          ? [{ stack: op.stack.name, paired: false, relu: false }]
          : [],
    );
  }

  /**
   * Lets each part of `concat` that only it reads, made by a lookup or a relu
   * or linear Dense layer, be written by its producer straight into the
   * concatenation's columns (and its gradient read from there), so the
   * concatenation copies nothing for it either way.
   */
  private placeParts(concat: ConcatOp, readers: ReadonlyMap<Buf, ReadonlySet<string>>, producers: ReadonlyMap<Buf, EmbeddingOp | DenseOp>): void {
    let offset = 0;
    concat.parts.forEach((part, i) => {
      const at = offset;
      offset += part.width;
      const producer = producers.get(part);
      const readOnce = readers.get(part)?.size === 1 && concat.parts.indexOf(part) === concat.parts.lastIndexOf(part);
      if (!readOnce || producer === undefined) return;
      if (producer instanceof EmbeddingOp) producer.gatherInto(concat.out, at);
      else if (producer.writesAnywhere) producer.writeInto(concat.out, at);
      else return;
      concat.skip(i);
      this.placed.add(part);
    });
  }

  /**
   * Makes the pair's stack a ReluStack where every part is written in place
   * by a relu Dense layer: the pair's backward then does their relu backward
   * and bias sums. Only where the pair's two gates are the stack's only
   * readers: relu's derivative applies to the whole gradient, which another
   * reader (a third gate, another pair) would add to after the pair has run.
   */
  private reluStackOf(pair: DotPairOp, producers: ReadonlyMap<Buf, EmbeddingOp | DenseOp>, readers: ReadonlyMap<Buf, ReadonlySet<string>>): void {
    const concat = this.concatOps.find((c) => c.out === pair.first.stack);
    if (concat === undefined || readers.get(concat.out)?.size !== 2) return;
    const layers = concat.parts.map((part) => producers.get(part));
    if (!concat.parts.every((part, i) => this.placed.has(part) && layers[i] instanceof DenseOp && layers[i].relu)) return;
    const stack = new ReluStack(concat.out.width);
    pair.reluStack = stack;
    for (const layer of layers) (layer as DenseOp).reluStack = stack;
    this.reluStacks.push(stack);
  }

  /** Takes the batch's arrays: float inputs are read in place, ids by the lookups. Grows the buffers for a larger batch. */
  load(batch: FusedFeatures): void {
    if (batch.size > this.capacity) this.allocate(batch.size);
    for (const { name, buf } of this.floatInputs) {
      const values = batch.features[name];
      if (!(values instanceof Float32Array) || values.length < batch.size * buf.width) {
        throw new Error(`the batch has no float32 [${batch.size}, ${buf.width}] input '${name}'`);
      }
      buf.value = values;
    }
    for (const op of this.lookups) {
      const ids = batch.features[op.input];
      if (!(ids instanceof Int32Array) || ids.length < batch.size) throw new Error(`the batch has no int32 [${batch.size}] input '${op.input}'`);
      op.ids = ids;
    }
  }

  forward(rows: number): void {
    for (const op of this.ops) op.forward(rows);
  }

  backward(rows: number): void {
    for (let i = this.ops.length - 1; i >= 0; i--) this.ops[i]!.backward(rows);
  }

  /** Forgets which gradients this step wrote; call before the loss seeds them. */
  resetGradients(): void {
    for (const buf of this.bufs.values()) buf.gradSet = false;
    for (const p of this.params) p.gradSet = false;
  }

  /** Returns the program's blocks of the wasm heap (the step's dispose); it must not run after. */
  dispose(): void {
    for (const table of this.tables) table.release();
    for (const op of this.ops) if (op instanceof EmbeddingOp) op.stage?.release();
  }

  private allocate(rows: number): void {
    const owned = new Set(this.floatInputs.map((i) => i.buf));
    // Bufs the lookups fill whole live in the wasm heap, where their kernels reach them (layers.ts GatherStage).
    const inHeap = allocateStages(this.ops, rows);
    const bufs = [...new Set(this.bufs.values())].filter((buf) => !this.placed.has(buf) && !inHeap.has(buf));
    if (this.arena !== null && !layoutInArena(this.arena, bufs.map((buf) => ({ buf, ownValues: !owned.has(buf) })), rows, this.denseOps, this.reluStacks)) {
      // Too large for a 32-bit memory: JavaScript arrays from now on, which every op then finds outside the arena.
      this.arena = null;
      for (const buf of bufs) buf.valueAt = buf.gradAt = -1;
      for (const op of this.denseOps) op.biasRow = null;
      for (const stack of this.reluStacks) stack.sums = null;
    }
    if (this.arena === null) for (const buf of bufs) buf.allocate(rows, !owned.has(buf));
    for (const op of this.ops) op.allocate(rows);
    for (const table of this.tables) table.allocate(rows);
    this.loss.allocate(rows);
    this.capacity = rows;
  }
}

/**
 * Every Buf's values (where it owns them: not a batch's input) and gradients
 * for `rows` rows, each Dense layer's bias row and each ReluStack's sums, in
 * one layout of the arena: the growth that layout may need detaches every
 * earlier view. False, with nothing assigned, when they do not fit in the
 * arena's memory.
 */
export function layoutInArena(
  arena: SimdArena,
  bufs: readonly { buf: Buf; ownValues: boolean }[],
  rows: number,
  dense: readonly DenseOp[],
  stacks: readonly ReluStack[] = [],
): boolean {
  const regions: { floats: number; assign(region: Region): void }[] = [];
  for (const { buf, ownValues } of bufs) {
    const floats = rows * buf.width;
    if (ownValues) {
      regions.push({
        floats,
        assign(r) {
          buf.value = r.view;
          buf.valueAt = r.address;
        },
      });
    }
    if (buf.needsGrad) {
      regions.push({
        floats,
        assign(r) {
          buf.grad = r.view;
          buf.gradAt = r.address;
        },
      });
    }
  }
  for (const op of dense) if (op.biasRowWidth > 0) regions.push({ floats: op.biasRowWidth, assign: (r) => void (op.biasRow = r) });
  for (const stack of stacks) regions.push({ floats: stack.width, assign: (r) => void (stack.sums = r) });
  const laid = arena.layout(regions.map((r) => r.floats));
  laid?.forEach((region, i) => regions[i]!.assign(region));
  return laid !== null;
}

/** The steps the wanted tensors depend on, in plan order. */
export function neededSteps(steps: readonly PlanStep[], wanted: readonly string[]): PlanStep[] {
  const byOutput = new Map(steps.map((s) => [s.output, s]));
  const need = new Set<string>();
  const visit = (name: string) => {
    const step = byOutput.get(name);
    if (step === undefined || need.has(name)) return;
    need.add(name);
    step.inputs.forEach(visit);
  };
  wanted.forEach(visit);
  return steps.filter((s) => need.has(s.output));
}


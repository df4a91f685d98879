/**
 * How much memory a model's weights (and a training run's optimiser slots)
 * take, from the IR alone, so a model that cannot fit is refused before any
 * data is read, with the numbers and the fix. Without this check the wasm
 * backend, whose heap cannot grow past 4 GiB, fails in the middle of
 * building the model with "memory access out of bounds".
 */
import * as tf from "#tfjs";
import type { ValidIR, OptimizerIR, TableIR } from "../../ir/types.js";
import { planLayers, weightCount, type LayerPlan } from "../../plan/layer-plan.js";
import { ModelTooLargeError } from "../../errors.js";


export interface ModelSize {
  /** Values in embedding tables. */
  embedding: number;
  /** Values in every other layer (experts, gates, towers, heads, batch norm). */
  dense: number;
}

/** The model's weights, counted from the layer plan that buildModel instantiates. */
export function modelSize(ir: ValidIR, plan: LayerPlan = planLayers(ir)): ModelSize {
  const shapes = new Map<string, number[]>(plan.inputs.map((i) => [i.name, i.shape]));
  for (const step of plan.steps) shapes.set(step.output, step.shape);
  const specs = new Map(plan.layers.map((l) => [l.name, l.spec]));
  const counted = new Set<string>();
  const size: ModelSize = { embedding: 0, dense: 0 };
  for (const step of plan.steps) {
    if (counted.has(step.layer)) continue;
    counted.add(step.layer);
    const spec = specs.get(step.layer)!;
    size[spec.kind === "embedding" ? "embedding" : "dense"] += weightCount(spec, shapes.get(step.inputs[0]!)!);
  }
  return size;
}

/** Values the optimiser keeps per weight. */
function slots(optimizer: OptimizerIR): number {
  switch (optimizer.type) {
    case "adam":
      return 2;
    case "adagrad":
      return 1;
    case "sgd":
      return optimizer.momentum > 0 ? 1 : 0;
    case "rmsprop":
      return optimizer.momentum > 0 ? 2 : 1;
  }
}

/** The most the wasm backend's heap can hold (wasm32), less room for activations and the runtime. */
const WASM_BUDGET_BYTES = 0.85 * 2 ** 32;

/**
 * Throws ModelTooLargeError when the weights (for "train", also the
 * optimiser's slots and the gradients of the dense layers) exceed what the
 * current backend can address. Only the wasm backend has a hard limit; the
 * others are left to the machine.
 */
export function assertModelFits(ir: ValidIR, purpose: "train" | "predict"): void {
  if (tf.getBackend() !== "wasm") return;
  const size = modelSize(ir);
  const copies = purpose === "train" ? 1 + slots(ir.train.optimizer) : 1;
  // Dense gradients exist for the whole step; sparse embedding updates only touch a batch's rows.
  const bytes = 4 * (size.embedding * copies + size.dense * (copies + (purpose === "train" ? 1 : 0)));
  if (bytes <= WASM_BUDGET_BYTES) return;
  const what = purpose === "train" ? `its weights and ${ir.train.optimizer.type}'s ${slots(ir.train.optimizer)} slot(s) per weight` : "its weights";
  throw new ModelTooLargeError(
    `model '${ir.model.name}' needs about ${gigabytes(bytes)} for ${what} (${describe(size, ir.tables)}), ` +
      `more than the wasm backend can address (4 GB). Use fewer buckets or a smaller dim, ` +
      `or use --backend node (tfjs-node) where it installs.`,
  );
}

function describe(size: ModelSize, tables: readonly TableIR[]): string {
  const parts = [`${count(size.embedding)} embedding values in ${tables.length} table${tables.length === 1 ? "" : "s"}`];
  const largest = [...tables].sort((a, b) => b.rows * b.dim - a.rows * a.dim)[0];
  if (largest) parts.push(`the largest '${largest.name}' ${count(largest.rows)} x ${largest.dim}`);
  parts.push(`${count(size.dense)} other weights`);
  return parts.join("; ");
}

function count(n: number): string {
  return n.toLocaleString("en-US");
}

function gigabytes(bytes: number): string {
  return `${(bytes / 1e9).toFixed(1)} GB`;
}

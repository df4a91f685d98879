/**
 * Pre-generated random inputs for the mtl side, as typed arrays in the
 * shapes the trainer feeds (src/train/tensors.ts): ids int32 [rows], numbers
 * float32 [rows], labels float32 [rows] by task name. Values do not matter for
 * speed; ids are uniform over each table, so embedding lookups and updates
 * touch as many distinct rows as real hashed features would.
 */
import type { ValidIR } from "../../src/ir/types.js";
import { Rng } from "../../src/util/random.js";
import { USER_FEATURE_PREFIX } from "./workloads.js";

export type FeatureArrays = Record<string, Int32Array | Float32Array>;

export interface LabelledArrays {
  features: FeatureArrays;
  labels: Record<string, Float32Array>;
  masks: Record<string, Float32Array>;
}

/** Click rate and purchase rate among clicks of the random labels. */
const CLICK_RATE = 0.3;
const PURCHASE_RATE = 0.1;

function tableRows(ir: ValidIR, table: string): number {
  const found = ir.tables.find((t) => t.name === table);
  if (found === undefined) throw new Error(`table '${table}' is not declared`);
  return found.rows;
}

export function randomFeatures(ir: ValidIR, rows: number, rng: Rng): FeatureArrays {
  const out: FeatureArrays = {};
  for (const feature of ir.features) {
    if (feature.kind === "numeric") {
      out[feature.name] = Float32Array.from({ length: rows }, () => rng.normal());
    } else if (feature.kind === "categorical") {
      const buckets = tableRows(ir, feature.table);
      out[feature.name] = Int32Array.from({ length: rows }, () => rng.int(buckets));
    } else {
      throw new Error(`feature '${feature.name}': the benchmark generates no ${feature.kind} inputs`);
    }
  }
  return out;
}

/** A training batch: random features, and click/purchase-like labels for every labelled task. */
export function randomBatch(ir: ValidIR, rows: number, rng: Rng): LabelledArrays {
  const click = Float32Array.from({ length: rows }, () => rng.bernoulli(CLICK_RATE));
  const purchase = click.map((c) => c * rng.bernoulli(PURCHASE_RATE));
  // Each label column gets its own stream; the first two look like click and purchase.
  const columns = new Map<string, Float32Array>();
  const column = (name: string): Float32Array => {
    if (!columns.has(name)) columns.set(name, [click, purchase][columns.size] ?? click);
    return columns.get(name)!;
  };
  const labels: Record<string, Float32Array> = {};
  const masks: Record<string, Float32Array> = {};
  for (const task of ir.tasks) {
    if (task.label !== null) labels[task.name] = column(task.label.column);
    if (task.where !== null) masks[task.name] = column(task.where.column);
  }
  return { features: randomFeatures(ir, rows, rng), labels, masks };
}

/** One request: a single user's features repeated on every row, the item features varying. */
export function randomRequest(ir: ValidIR, rows: number, rng: Rng): FeatureArrays {
  const features = randomFeatures(ir, rows, rng);
  for (const [name, values] of Object.entries(features)) {
    if (name.startsWith(USER_FEATURE_PREFIX)) values.fill(values[0]!);
  }
  return features;
}

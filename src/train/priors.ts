import * as tf from "#tfjs";
import type { EncodedBatch } from "../data/encode/index.js";
import type { ValidIR } from "../ir/types.js";
import type { BuiltModel } from "../runtime/graph/index.js";
import { names } from "../plan/names.js";

/** Rows read to estimate the priors: enough for rare labels, bounded for huge files. The torch target's train.py reads the same (spec.py's PRIORS). */
export const PRIOR_ROWS = 100_000;

/** A binary head starts at logit(rate) with the rate kept this far from 0 and 1, so a label column of one class gives a finite bias. */
export const PRIOR_CLAMP = 1e-4;

/**
 * The mean label of each labelled task under its `where` mask, from the
 * start of the training data. Heads start from these instead of from zero:
 * a CTR head at logit(4%) instead of 50%, an order-value head at the mean
 * amount instead of 0. It removes the first epoch's large, useless steps
 * (clicks are rare; amounts are in the hundreds) without changing the model.
 */
export function estimatePriors(ir: ValidIR, encoded: Iterable<{ batch: EncodedBatch }>): Record<string, number> {
  const sums: Record<string, { total: number; count: number }> = {};
  let seen = 0;
  for (const { batch } of encoded) {
    // Exactly the first PRIOR_ROWS rows, whatever the batch size, so that another reader of the file (train.py) can take the same ones.
    const rows = Math.min(batch.size, PRIOR_ROWS - seen);
    for (const [task, labels] of Object.entries(batch.labels)) {
      const mask = batch.masks[task];
      const acc = (sums[task] ??= { total: 0, count: 0 });
      // A mask is the row's weight (0/1 under `where`, the sample weight with one): the prior is the weighted mean, which the weighted loss starts from.
      for (let i = 0; i < rows; i++) {
        const w = mask ? mask[i]! : 1;
        if (w === 0) continue;
        acc.total += w * labels[i]!;
        acc.count += w;
      }
    }
    seen += rows;
    if (seen >= PRIOR_ROWS) break;
  }
  const priors: Record<string, number> = {};
  for (const task of ir.tasks) {
    const acc = sums[task.name];
    if (acc && acc.count > 0) priors[task.name] = acc.total / acc.count;
  }
  // A latent factor's rate follows from its product's: p(cvr) = p(ctcvr) / p(ctr).
  for (const task of ir.tasks) {
    if (task.head.op !== "product" || task.type !== "binary" || priors[task.name] === undefined) continue;
    const unknown = task.head.factors.filter((f) => priors[f] === undefined);
    if (unknown.length !== 1) continue;
    const known = task.head.factors.filter((f) => priors[f] !== undefined).reduce((p, f) => p * priors[f]!, 1);
    if (known > 0) priors[unknown[0]!] = priors[task.name]! / known;
  }
  return priors;
}

/** Sets each dense head's bias to its prior: logit(rate) for binary tasks, the mean for regression. */
export function initialiseHeads(built: BuiltModel, ir: ValidIR, priors: Record<string, number>): void {
  for (const task of ir.tasks) {
    const prior = priors[task.name];
    if (task.head.op !== "dense" || prior === undefined || !Number.isFinite(prior)) continue;
    const layer = built.model.getLayer(names.taskHead(task.name));
    const [kernel, bias] = layer.getWeights();
    if (!kernel || !bias) continue;
    const value = task.type === "binary" ? logit(Math.min(Math.max(prior, PRIOR_CLAMP), 1 - PRIOR_CLAMP)) : prior;
    const newBias = tf.fill(bias.shape, value);
    layer.setWeights([kernel, newBias]);
    newBias.dispose();
  }
}

function logit(p: number): number {
  return Math.log(p / (1 - p));
}

/**
 * Floating-point work of one training row, counted from the network's shape,
 * so the report can say what fraction of the machine's matrix-product limit
 * a side reaches.
 *
 * Only the dense layers count (everything else is a rounding error at these
 * sizes): a Linear of `in` x `out` costs 2·in·out flops per row forward, and
 * backward 2·in·out for the weight gradient plus 2·in·out for the input
 * gradient. The input gradient of a layer reading the model's input is needed
 * only when the input has embeddings to update, so layers reading a
 * numeric-only input count 4·in·out. The MMoE mixture (a weighted sum of the
 * experts' outputs per task) is counted the same way as a product of
 * 1 x experts by experts x width.
 */
import type { PeerShape } from "./peer-shape.js";

/** Rows x columns of each Linear along an MLP's units, the final ReLU included. */
function mlpLayers(widthIn: number, units: readonly number[]): Array<[number, number]> {
  const layers: Array<[number, number]> = [];
  for (const out of units) {
    layers.push([widthIn, out]);
    widthIn = out;
  }
  return layers;
}

/** Forward + backward flops of one training row of `shape`. */
export function trainingFlopsPerRow(shape: PeerShape): number {
  const width = shape.numeric + shape.categorical.count * shape.categorical.dim;
  const inputNeedsGradient = shape.categorical.count > 0;
  let total = 0;
  /** `readsInput`: the layer's input is the model's input. */
  const linear = (inOut: [number, number], readsInput: boolean, times = 1) => {
    const [a, b] = inOut;
    total += times * a * b * (readsInput && !inputNeedsGradient ? 4 : 6);
  };
  const mlp = (widthIn: number, units: readonly number[], readsInput: boolean, times: number) =>
    mlpLayers(widthIn, units).forEach((layer, i) => linear(layer, readsInput && i === 0, times));

  if (shape.architecture === "mmoe") {
    const expertOut = shape.expertUnits.at(-1)!;
    mlp(width, shape.expertUnits, true, shape.experts);
    linear([width, shape.experts], true, shape.tasks); // gates
    linear([shape.experts, expertOut], false, shape.tasks); // mixture
    mlp(expertOut, shape.towerUnits, false, shape.tasks);
    linear([shape.towerUnits.at(-1)!, 1], false, shape.tasks); // heads
  } else {
    mlp(width, shape.towerUnits, true, 2);
    linear([shape.towerUnits.at(-1)!, 1], false, 2);
  }
  return total;
}

/**
 * Model inputs, one per feature, and their dense representations.
 *
 * Input shapes follow the encoder contract: a categorical id or numeric value
 * is fed as [batch, 1] (rank 2 rather than [batch], because Keras' Embedding
 * and Input are built around a feature axis and [batch] inputs do not round
 * trip reliably through a Keras topology); a sequence is [batch, maxLen] of
 * int32 ids padded with -1.
 */
import * as tf from "@tensorflow/tfjs";
import type {
  CategoricalFeatureIR,
  FeatureIR,
  SequenceFeatureIR,
  TableIR,
} from "../../ir/types.js";
import { BuildContext, expectWidth } from "./context.js";
import { ClampIds, MaskedSequencePooling } from "./custom-layers.js";
import { names } from "./names.js";

/** Keras' Embedding default range, seeded. */
const EMBEDDING_INIT_RANGE = 0.05;

export function inputShapeOf(feature: FeatureIR): [number] {
  return feature.kind === "sequence" ? [feature.maxLen] : [1];
}

/** Builds every feature's input and defines the feature's name in `ctx`. */
export function buildFeatures(ctx: BuildContext): tf.SymbolicTensor[] {
  const embeddings = new EmbeddingTables(ctx);
  return ctx.ir.features.map((feature) => {
    const input = tf.input({
      name: ctx.registry.claim(feature.name, `the input of feature '${feature.name}'`),
      shape: inputShapeOf(feature),
      dtype: feature.kind === "numeric" ? "float32" : "int32",
    });
    const value =
      feature.kind === "numeric"
        ? input
        : feature.kind === "categorical"
          ? categorical(ctx, feature, input, embeddings)
          : sequence(ctx, feature, input, embeddings);
    expectWidth(value, feature.width, `feature '${feature.name}'`);
    ctx.define(feature.name, [value]);
    return input;
  });
}

function categorical(
  ctx: BuildContext,
  feature: CategoricalFeatureIR,
  input: tf.SymbolicTensor,
  embeddings: EmbeddingTables,
): tf.SymbolicTensor {
  const looked = embeddings.layer(feature.table, `feature '${feature.name}'`).apply(input);
  const flat = tf.layers.flatten({
    name: ctx.registry.claim(names.categoricalFlat(feature.name), `feature '${feature.name}'`),
  });
  return flat.apply(looked) as tf.SymbolicTensor;
}

function sequence(
  ctx: BuildContext,
  feature: SequenceFeatureIR,
  input: tf.SymbolicTensor,
  embeddings: EmbeddingTables,
): tf.SymbolicTensor {
  const owner = ctx.ir.features.find((f) => f.name === feature.of);
  if (owner === undefined || owner.kind !== "categorical") {
    throw new Error(`sequence '${feature.name}' is 'of' '${feature.of}', which is not a categorical feature`);
  }
  if (owner.table !== feature.table) {
    throw new Error(
      `sequence '${feature.name}' uses table '${feature.table}' but '${owner.name}' uses '${owner.table}'; ` +
        "a sequence shares the table of the feature it is 'of'",
    );
  }
  const user = `feature '${feature.name}'`;
  const table = embeddings.table(feature.table, user);
  const clamp = new ClampIds({
    name: ctx.registry.claim(names.sequenceIds(feature.name), user),
    maxId: table.rows - 1,
  });
  const ids = clamp.apply(input) as tf.SymbolicTensor;
  const looked = embeddings.layer(feature.table, user).apply(ids) as tf.SymbolicTensor;
  const pool = new MaskedSequencePooling({
    name: ctx.registry.claim(names.sequencePool(feature.name), user),
    mode: feature.pool,
  });
  return pool.apply([looked, input]) as tf.SymbolicTensor;
}

/** One Embedding layer per table, shared by every feature that names it. */
class EmbeddingTables {
  private readonly layers = new Map<string, tf.layers.Layer>();

  constructor(private readonly ctx: BuildContext) {}

  table(name: string, user: string): TableIR {
    const table = this.ctx.ir.tables.find((t) => t.name === name);
    if (table === undefined) throw new Error(`${user} uses table '${name}', which is not declared`);
    return table;
  }

  layer(name: string, user: string): tf.layers.Layer {
    const existing = this.layers.get(name);
    if (existing !== undefined) return existing;
    const table = this.table(name, user);
    const layerName = this.ctx.registry.claim(names.embedding(name), `table '${name}'`);
    const layer = tf.layers.embedding({
      name: layerName,
      inputDim: table.rows,
      outputDim: table.dim,
      embeddingsInitializer: tf.initializers.randomUniform({
        minval: -EMBEDDING_INIT_RANGE,
        maxval: EMBEDDING_INIT_RANGE,
        seed: this.ctx.seedFor(layerName),
      }),
    });
    this.layers.set(name, layer);
    return layer;
  }
}

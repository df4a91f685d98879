/**
 * The layers Keras has no standard equivalent for. Both are registered
 * with tf.serialization so that tf.loadLayersModel can rebuild a saved model;
 * importing this module is enough to register them. This file depends on
 * TensorFlow.js only: mtl's runtime imports it, and `mtl compile --target ts`
 * embeds its text in the generated module.
 */
import * as tf from "#tfjs";

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;
type Shape = (number | null)[];

function onlyTensor(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  if (Array.isArray(inputs)) {
    if (inputs.length !== 1) throw new Error(`expected one input tensor, got ${inputs.length}`);
    return inputs[0]!;
  }
  return inputs;
}

export interface ClampIdsArgs extends LayerArgs {
  /** The largest valid id: the table's rows - 1. */
  maxId: number;
}

/**
 * Clamps ids into [0, maxId] before an Embedding lookup. Sequences are padded
 * with -1, and a gather with a negative index throws on the cpu backend (and
 * reads garbage on others); the padded positions are masked out afterwards by
 * MaskedSequencePooling, which reads the unclamped ids.
 */
export class ClampIds extends tf.layers.Layer {
  static className = "ClampIds";
  readonly maxId: number;

  constructor(args: ClampIdsArgs) {
    super(args);
    if (!Number.isInteger(args.maxId) || args.maxId < 0) {
      throw new Error(`ClampIds: maxId must be a non-negative integer, got ${args.maxId}`);
    }
    this.maxId = args.maxId;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const raw = onlyTensor(inputs);
      const ids = raw.dtype === "int32" ? raw : tf.cast(raw, "int32");
      // Not clipByValue: the wasm backend's clips int32 data as float bits.
      return tf.minimum(tf.maximum(ids, tf.scalar(0, "int32")), tf.scalar(this.maxId, "int32"));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), maxId: this.maxId };
  }
}

export type PoolMode = "mean" | "sum" | "max";

export interface MaskedSequencePoolingArgs extends LayerArgs {
  mode: PoolMode;
}

/** Lower than any embedding value, but finite so no inf reaches arithmetic. */
const MASKED_FOR_MAX = -3.0e38;

/**
 * Pools [batch, maxLen, dim] embeddings over the positions whose id is >= 0.
 * Inputs: [embeddings, raw ids]. A row with no items pools to zeros for every
 * mode (mean divides by max(count, 1); max replaces the empty row by 0).
 */
export class MaskedSequencePooling extends tf.layers.Layer {
  static className = "MaskedSequencePooling";
  readonly mode: PoolMode;

  constructor(args: MaskedSequencePoolingArgs) {
    super(args);
    if (args.mode !== "mean" && args.mode !== "sum" && args.mode !== "max") {
      throw new Error(`MaskedSequencePooling: unknown mode '${String(args.mode)}'`);
    }
    this.mode = args.mode;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const embShape = inputShape[0];
    if (!Array.isArray(embShape) || embShape.length !== 3) {
      throw new Error("MaskedSequencePooling expects [embeddings [batch, len, dim], ids [batch, len]]");
    }
    return [embShape[0]!, embShape[2]!];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      if (!Array.isArray(inputs) || inputs.length !== 2) {
        throw new Error("MaskedSequencePooling expects two inputs: embeddings and ids");
      }
      const [emb, ids] = inputs as [tf.Tensor3D, tf.Tensor2D];
      const present = tf.expandDims(tf.greaterEqual(ids, 0), -1); // [b, len, 1] bool
      const weights = tf.cast(present, "float32");
      const count = tf.sum(weights, 1); // [b, 1]
      if (this.mode === "max") {
        const floor = tf.fill(emb.shape, MASKED_FOR_MAX);
        const masked = tf.where(tf.broadcastTo(present, emb.shape), emb, floor);
        const best = tf.max(masked, 1);
        const nonEmpty = tf.broadcastTo(tf.greater(count, 0), best.shape);
        return tf.where(nonEmpty, best, tf.zerosLike(best));
      }
      const total = tf.sum(tf.mul(emb, weights), 1);
      return this.mode === "sum" ? total : tf.div(total, tf.maximum(count, 1));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), mode: this.mode };
  }
}

/**
 * AITM's attention (Xi et al., KDD 2021) over the two vectors u of a stack
 * [batch, 2, k] (the information transferred from the previous task and this
 * task's tower output), given as their projections [query, key, value]:
 * w_u = softmax_u(<query_u, key_u> / sqrt(k)), output sum_u w_u value_u [batch, k].
 * It holds no weights: the projections are Dense layers before it.
 */
export class AitAttention extends tf.layers.Layer {
  static className = "AitAttention";

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const value = inputShape[2];
    if (!Array.isArray(value) || value.length !== 3) throw new Error("AitAttention expects [query, key, value], each [batch, 2, k]");
    return [value[0]!, value[2]!];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      if (!Array.isArray(inputs) || inputs.length !== 3) throw new Error("AitAttention expects three inputs: query, key and value");
      const [query, key, value] = inputs as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
      const k = value.shape[2];
      const scores = tf.div(tf.sum(tf.mul(query, key), -1), Math.sqrt(k)); // [b, 2]
      const weights = tf.expandDims(tf.softmax(scores, -1), -1); // [b, 2, 1]
      return tf.sum(tf.mul(weights, value), 1);
    });
  }
}

tf.serialization.registerClass(ClampIds);
tf.serialization.registerClass(MaskedSequencePooling);
tf.serialization.registerClass(AitAttention);

import { before, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { ClampIds, MaskedSequencePooling } from "../../src/portable/layers.js";
import { useCpu } from "../runtime/graph/fixtures.js";

before(useCpu);

// Three rows of length 3 over a 2-d embedding: full, partly padded, empty.
const ids = [
  [0, 1, 2],
  [2, -1, -1],
  [-1, -1, -1],
];
const emb = [
  [[1, -2], [3, 4], [-5, 0.5]],
  [[-2, -3], [9, 9], [9, 9]],
  [[7, 7], [7, 7], [7, 7]],
];

function pool(mode: "mean" | "sum" | "max"): number[][] {
  return tf.tidy(() => {
    const layer = new MaskedSequencePooling({ mode });
    return layer.apply([tf.tensor3d(emb), tf.tensor2d(ids, undefined, "int32")]) as tf.Tensor;
  }).arraySync() as number[][];
}

test("masked pooling ignores padding and pools an empty row to zeros", () => {
  assert.deepEqual(pool("sum"), [[-1, 2.5], [-2, -3], [0, 0]]);
  assert.deepEqual(pool("mean"), [[-1 / 3, 2.5 / 3].map(Math.fround), [-2, -3], [0, 0]]);
  assert.deepEqual(pool("max"), [[3, 4], [-2, -3], [0, 0]]);
});

test("masked pooling passes gradients only to present items", () => {
  for (const mode of ["mean", "sum", "max"] as const) {
    const layer = new MaskedSequencePooling({ mode });
    const idsT = tf.tensor2d(ids, undefined, "int32");
    const g = tf.grad((e: tf.Tensor) => tf.sum(layer.apply([e, idsT]) as tf.Tensor))(tf.tensor3d(emb));
    const grads = g.arraySync() as number[][][];
    for (let r = 0; r < 3; r++) {
      for (let j = 0; j < 3; j++) {
        if (ids[r]![j]! < 0) assert.deepEqual(grads[r]![j], [0, 0], `${mode} row ${r} pos ${j}`);
        for (const v of grads[r]![j]!) assert.ok(Number.isFinite(v));
      }
    }
    tf.dispose([idsT, g]);
  }
});

test("ClampIds maps padding and out-of-range ids into the table", () => {
  const out = tf.tidy(() => (new ClampIds({ maxId: 4 }).apply(tf.tensor2d([[-1, 0, 4, 9]], undefined, "int32")) as tf.Tensor).arraySync());
  assert.deepEqual(out, [[0, 0, 4, 4]]);
  assert.throws(() => new ClampIds({ maxId: -1 }), /maxId must be a non-negative integer/);
});

test("custom layers serialise their configuration", () => {
  const clamp = new ClampIds({ maxId: 11, name: "feat_hist_ids" });
  const rebuilt = ClampIds.fromConfig(ClampIds, clamp.getConfig()) as ClampIds;
  assert.equal(rebuilt.maxId, 11);
  assert.equal(rebuilt.name, "feat_hist_ids");
  const poolLayer = new MaskedSequencePooling({ mode: "max", name: "p" });
  const rebuiltPool = MaskedSequencePooling.fromConfig(MaskedSequencePooling, poolLayer.getConfig()) as MaskedSequencePooling;
  assert.equal(rebuiltPool.mode, "max");
  assert.equal(ClampIds.className, "ClampIds");
  assert.equal(MaskedSequencePooling.className, "MaskedSequencePooling");
});

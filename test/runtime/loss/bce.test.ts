import { before, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { bceWithLogitProduct, bceWithLogits, logSigmoid } from "../../../src/runtime/loss/bce.js";
import { assertClose, useCpu } from "../graph/fixtures.js";

before(useCpu);

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
const naiveBce = (y: number, p: number) => -(y * Math.log(p) + (1 - y) * Math.log(1 - p));

function values(t: tf.Tensor): number[] {
  const v = Array.from(t.dataSync());
  t.dispose();
  return v;
}

test("BCE from logits equals the naive formula at moderate logits", () => {
  const logits = [-4, -1.5, -0.2, 0, 0.3, 2, 5];
  for (const y of [0, 1]) {
    const got = values(tf.tidy(() => bceWithLogits(tf.fill([logits.length], y), tf.tensor1d(logits))));
    assertClose(got, logits.map((l) => naiveBce(y, sigmoid(l))), 1e-6, `y=${y}`);
  }
});

test("BCE from logits is finite and right at huge logits", () => {
  const got = values(tf.tidy(() => bceWithLogits(tf.tensor1d([0, 1, 0, 1]), tf.tensor1d([100, -100, -100, 100]))));
  assertClose(got, [100, 100, 0, 0], 1e-6, "saturated");
  const g = tf.grad((l: tf.Tensor) => tf.sum(bceWithLogits(tf.tensor1d([0, 1, 0, 1]), l)))(tf.tensor1d([100, -100, -100, 100]));
  // d/dl = sigmoid(l) - y: 1, -1, 0, 0.
  assertClose(values(g), [1, -1, 0, 0], 1e-6, "gradient");
});

test("logSigmoid is stable in both tails", () => {
  const got = values(tf.tidy(() => logSigmoid(tf.tensor1d([-100, -5, 0, 5, 100]))));
  assertClose(got, [-100, Math.log(sigmoid(-5)), Math.log(0.5), Math.log(sigmoid(5)), 0], 1e-6, "logSigmoid");
});

test("product BCE equals BCE(y, p_ctr * p_cvr) at moderate logits", () => {
  const pairs = [
    [-2, 1],
    [0.5, -0.7],
    [3, 2],
    [-1, -3],
    [0, 0],
  ];
  for (const y of [0, 1]) {
    const got = values(
      tf.tidy(() =>
        bceWithLogitProduct(tf.fill([pairs.length], y), [tf.tensor1d(pairs.map((p) => p[0]!)), tf.tensor1d(pairs.map((p) => p[1]!))]),
      ),
    );
    assertClose(got, pairs.map(([a, b]) => naiveBce(y, sigmoid(a!) * sigmoid(b!))), 1e-5, `y=${y}`);
  }
});

test("product BCE with three factors equals the naive formula", () => {
  const l = [0.4, -1.2, 2.5];
  const p = l.reduce((acc, v) => acc * sigmoid(v), 1);
  for (const y of [0, 1]) {
    const got = values(tf.tidy(() => bceWithLogitProduct(tf.tensor1d([y]), l.map((v) => tf.tensor1d([v])))));
    assertClose(got, [naiveBce(y, p)], 1e-5, `y=${y}`);
  }
});

test("product BCE stays finite (loss and gradient) at extreme logits", () => {
  const a = [100, -100, 100, -100, 200, 30];
  const b = [100, -100, -100, 100, 200, -30];
  const y = [0, 1, 1, 0, 0, 1];
  const got = values(tf.tidy(() => bceWithLogitProduct(tf.tensor1d(y), [tf.tensor1d(a), tf.tensor1d(b)])));
  for (const v of got) assert.ok(Number.isFinite(v), `loss ${v}`);
  // 1 - p = e^-100 + e^-100 (to float precision): loss = 100 - ln 2.
  assertClose([got[0]!], [100 - Math.log(2)], 1e-5, "p -> 1, y = 0");
  // log p = -100 - 100.
  assertClose([got[1]!], [200], 1e-5, "p -> 0, y = 1");
  assertClose([got[2]!], [100], 1e-5, "one factor -> 0, y = 1");
  assertClose([got[3]!], [0], 1e-5, "p -> 0, y = 0");
  assertClose([got[4]!], [200 - Math.log(2)], 1e-5, "beyond float32 exp range");
  assertClose([got[5]!], [30], 1e-4, "-log sigmoid(-30)");

  const grads = tf.grads((x: tf.Tensor, z: tf.Tensor) => tf.sum(bceWithLogitProduct(tf.tensor1d(y), [x, z])))([tf.tensor1d(a), tf.tensor1d(b)]);
  for (const g of grads) for (const v of values(g)) assert.ok(Number.isFinite(v), `gradient ${v}`);
});

test("a one-factor product is plain BCE from logits", () => {
  const got = values(tf.tidy(() => bceWithLogitProduct(tf.tensor1d([1, 0]), [tf.tensor1d([0.3, -0.3])])));
  assertClose(got, [naiveBce(1, sigmoid(0.3)), naiveBce(0, sigmoid(-0.3))], 1e-6, "k=1");
});

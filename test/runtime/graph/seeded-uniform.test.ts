/**
 * The tight-loop seeded RandomUniform (src/runtime/graph/seeded-uniform.ts)
 * draws exactly tfjs's values, so models built with it start from the same
 * weights as before, and it serialises as tfjs's RandomUniform.
 */
import { before, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { deriveSeed } from "../../../src/plan/seed.js";
import { SeededRandomUniform, seededUniform } from "../../../src/runtime/graph/seeded-uniform.js";
import { ALEA_CHUNK, aleaWasm } from "../../../src/runtime/graph/alea-wasm.js";
import { selectBackend } from "../../../src/runtime/backend/select.js";
import { useCpu } from "./fixtures.js";

before(useCpu);

function bits(t: tf.Tensor): Uint32Array {
  return new Uint32Array(new Float32Array(t.dataSync()).buffer);
}

test("it draws tfjs's RandomUniform values bit for bit, for table-sized and odd shapes and many seeds", () => {
  const seeds = [0, 1, 7, 2 ** 31 - 1, 4294967295, deriveSeed(7, "embedding_user1"), deriveSeed(42, "gate_g_ctr")];
  for (const seed of seeds) {
    for (const [shape, minval, maxval] of [
      [[1000, 16], -0.05, 0.05],
      [[3, 5], -0.3, 0.3],
      [[7], 2, 9],
      [[4, 4], 0, 1], // tfjs turns minval 0 into -0.05: the same here
    ] as const) {
      const args = { minval, maxval, seed };
      const plain = tf.initializers.randomUniform(args).apply([...shape], "float32");
      const fast = new SeededRandomUniform(args).apply([...shape], "float32");
      assert.deepEqual(fast.shape, plain.shape);
      assert.deepEqual(bits(fast), bits(plain), `seed ${seed}, shape ${shape.join("x")}, [${minval}, ${maxval})`);
    }
  }
  assert.equal(seededUniform(5, -1, 1, 3).length, 5);
});

test("across the WebAssembly generator's chunks, the values stay tfjs's bit for bit", () => {
  assert.ok(aleaWasm() !== null, "Node runs the WebAssembly generator");
  for (const [size, seed] of [[ALEA_CHUNK, 3], [2 * ALEA_CHUNK + 3, deriveSeed(7, "embedding_item1")]] as const) {
    const plain = tf.randomUniform([size], -0.05, 0.05, "float32", seed);
    assert.deepEqual(new Uint32Array(seededUniform(size, -0.05, 0.05, seed).buffer), bits(plain), `${size} values, seed ${seed}`);
  }
});

test("it serialises as tfjs's RandomUniform, so saved models are unchanged", () => {
  const args = { minval: -0.05, maxval: 0.05, seed: 11 };
  const fast = new SeededRandomUniform(args);
  const plain = tf.initializers.randomUniform(args);
  assert.equal(fast.getClassName(), "RandomUniform");
  assert.deepEqual(fast.getConfig(), plain.getConfig());
  const layer = (init: ReturnType<typeof tf.initializers.randomUniform>) =>
    tf.layers.embedding({ name: "t", inputDim: 10, outputDim: 4, embeddingsInitializer: init }).getConfig();
  assert.deepEqual(JSON.stringify(layer(fast)), JSON.stringify(layer(plain)));
});

test("on wasm it draws into the tensor's own storage the same values, and the tensor is independent", async () => {
  const previous = tf.getBackend();
  await selectBackend("wasm");
  try {
    const args = { minval: -0.05, maxval: 0.05, seed: 5 };
    const drawn = new SeededRandomUniform(args).apply([300, 8], "float32");
    const again = new SeededRandomUniform(args).apply([300, 8], "float32");
    assert.deepEqual(bits(drawn), new Uint32Array(seededUniform(2400, -0.05, 0.05, 5).buffer));
    // Each call owns its storage: a later table drawn with the same seed does not alias the first.
    assert.equal(tf.engine().backend.refCount(drawn.dataId), 1);
    assert.deepEqual(bits(again), bits(drawn));
    tf.dispose([drawn, again]);
  } finally {
    await tf.setBackend(previous);
  }
});

import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { assertClose, onBackend, pseudoRandom, pseudoRandomInts, values } from "./helpers.js";

const TOLERANCE = 1e-5;

/** Runs the same computation on wasm and cpu and compares every output. */
async function assertSameOnWasmAndCpu(label: string, compute: () => number[][] | Promise<number[][]>): Promise<void> {
  const onWasm = await onBackend("wasm", compute);
  const onCpu = await onBackend("cpu", compute);
  assert.equal(onWasm.length, onCpu.length);
  onWasm.forEach((actual, i) => assertClose(actual, onCpu[i]!, TOLERANCE, `${label} output ${i}`));
}

test("gradient of tf.gather (embedding lookup with repeated ids) matches cpu", async () => {
  const vocab = 50;
  const dim = 8;
  const batch = 64;
  await assertSameOnWasmAndCpu("gather", () => {
    const table = tf.tensor2d(pseudoRandom(vocab * dim, 1), [vocab, dim]);
    // Ids repeat, and some rows are never looked up (their gradient is zero).
    const ids = tf.tensor1d(pseudoRandomInts(batch, vocab - 5, 2), "int32");
    const upstream = tf.tensor2d(pseudoRandom(batch * dim, 3), [batch, dim]);
    const grad = tf.grad((t: tf.Tensor) => tf.gather(t, ids).mul(upstream).sum())(table);
    return [values(grad)];
  });
});

test("gradient of tf.gather along an inner axis with 2-D indices matches cpu", async () => {
  await assertSameOnWasmAndCpu("gather axis 1", () => {
    const x = tf.tensor3d(pseudoRandom(4 * 7 * 3, 4), [4, 7, 3]);
    const ids = tf.tensor2d(pseudoRandomInts(10, 7, 5), [2, 5], "int32");
    const upstream = tf.tensor(pseudoRandom(4 * 2 * 5 * 3, 6), [4, 2, 5, 3]);
    const grad = tf.grad((t: tf.Tensor) => tf.gather(t, ids, 1).mul(upstream).sum())(x);
    return [values(grad)];
  });
});

test("unsortedSegmentSum matches cpu: dropped out-of-range ids, int32, empty, its own gradient", async () => {
  await assertSameOnWasmAndCpu("unsortedSegmentSum", () => {
    const x = tf.tensor2d(pseudoRandom(4 * 3, 8), [4, 3]);
    const withInvalid = tf.tensor1d([0, -1, 2, 7], "int32");
    const ints = tf.tensor1d([5, -3, 7, 11], "int32");
    return [
      values(tf.unsortedSegmentSum(x, withInvalid, 3)),
      values(tf.unsortedSegmentSum(ints, tf.tensor1d([1, 0, 1, 1], "int32"), 2)),
      values(tf.unsortedSegmentSum(tf.zeros([0, 3]), tf.tensor1d([], "int32"), 2)),
      // Its gradient (a gather) must work too. tfjs's gradient handles
      // negative ids but not ids >= numSegments, on every backend.
      values(
        tf.grad((t: tf.Tensor) =>
          tf
            .unsortedSegmentSum(t, tf.tensor1d([0, -1, 2, 2], "int32"), 3)
            .square()
            .sum(),
        )(x),
      ),
    ];
  });
});

test("unsortedSegmentSum on wasm accepts segment ids over several leading dims", async () => {
  // The cpu kernel mishandles multi-dim ids (and tfjs types them 1-D), so the
  // reference is computed by hand: out[s] = sum of rows x[i, j] with ids[i, j] == s.
  const [rows, cols, dim, numSegments] = [3, 4, 5, 6];
  const xValues = pseudoRandom(rows * cols * dim, 7);
  const ids = Int32Array.from([0, 2, 2, 1, 3, 0, 4, 9, 1, 1, -2, 3]);
  const expected = new Float32Array(numSegments * dim);
  ids.forEach((segment, row) => {
    if (segment < 0 || segment >= numSegments) return;
    for (let d = 0; d < dim; d++) expected[segment * dim + d]! += xValues[row * dim + d]!;
  });
  const result = await onBackend("wasm", () => {
    const out = tf.unsortedSegmentSum(
      tf.tensor3d(xValues, [rows, cols, dim]),
      tf.tensor2d(ids, [rows, cols], "int32") as unknown as tf.Tensor1D,
      numSegments,
    );
    return { shape: out.shape, values: values(out) };
  });
  assert.deepEqual(result.shape, [numSegments, dim]);
  assertClose(result.values, expected, TOLERANCE, "multi-dim ids");
});

/** Embedding -> flatten -> dense logit, with fixed weights so both backends start equal. */
function tinyEmbeddingModel(vocab: number, dim: number, idsPerExample: number): tf.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.embedding({ inputDim: vocab, outputDim: dim, inputLength: idsPerExample }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 1 }),
    ],
  });
  model.setWeights([
    tf.tensor2d(pseudoRandom(vocab * dim, 11), [vocab, dim]),
    tf.tensor2d(pseudoRandom(idsPerExample * dim, 12), [idsPerExample * dim, 1]),
    tf.tensor1d([0.1]),
  ]);
  return model;
}

test("tf.layers.embedding model: gradients and one Adam step match cpu", async () => {
  const vocab = 30;
  const dim = 4;
  const idsPerExample = 3;
  const batch = 16;
  await assertSameOnWasmAndCpu("embedding model", () => {
    const model = tinyEmbeddingModel(vocab, dim, idsPerExample);
    const ids = tf.tensor2d(pseudoRandomInts(batch * idsPerExample, vocab, 13), [batch, idsPerExample], "int32");
    const labels = tf.tensor2d(
      Float32Array.from(pseudoRandom(batch, 14), (v) => (v > 0 ? 1 : 0)),
      [batch, 1],
    );
    const loss = (): tf.Scalar =>
      tf.losses.sigmoidCrossEntropy(labels, model.apply(ids, { training: true }) as tf.Tensor) as tf.Scalar;
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);

    const { value, grads } = tf.variableGrads(loss, variables);
    const gradientValues = variables.map((v) => values(grads[v.name]!));

    const optimizer = tf.train.adam(0.05);
    const lossBefore = optimizer.minimize(loss, true, variables)!;
    const weightsAfter = model.getWeights().map(values);
    optimizer.dispose();
    model.dispose();
    return [[value.dataSync()[0]!, lossBefore.dataSync()[0]!], ...gradientValues, ...weightsAfter];
  });
});

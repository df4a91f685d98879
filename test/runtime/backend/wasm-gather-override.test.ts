import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { assertClose, onBackend, pseudoRandom, values } from "./helpers.js";

/** Gathers on wasm (override) and on cpu (reference) give the same values and shapes. */
async function sameOnBothBackends(label: string, compute: () => tf.Tensor): Promise<void> {
  const run = () => {
    const t = compute();
    return { shape: t.shape, dtype: t.dtype, values: values(t) };
  };
  const wasm = await onBackend("wasm", run);
  const cpu = await onBackend("cpu", run);
  assert.deepEqual(wasm.shape, cpu.shape, `${label}: shape`);
  assert.equal(wasm.dtype, cpu.dtype, `${label}: dtype`);
  assertClose(wasm.values, cpu.values, 0, label);
}

test("row gathers (embedding lookups) match cpu bit for bit, for rows of 1, 16 and 100 values and any index shape", async () => {
  for (const [rows, rowShape] of [
    [50, []],
    [50, [16]],
    [7, [4, 25]],
  ] as const) {
    const table = pseudoRandom(rows * rowShape.reduce((p, d) => p * d, 1), 3);
    for (const indexShape of [[9], [3, 3], [0]]) {
      const count = indexShape.reduce((p, d) => p * d, 1);
      const ids = Int32Array.from({ length: count }, (_, i) => (i * 5 + 2) % rows);
      await sameOnBothBackends(`table [${rows},${rowShape}] ids [${indexShape}]`, () =>
        tf.gather(tf.tensor(table, [rows, ...rowShape]), tf.tensor(ids, indexShape, "int32")),
      );
    }
  }
});

test("int32 tables are gathered unchanged", async () => {
  await sameOnBothBackends("int32 table", () =>
    tf.gather(tf.tensor2d([1, -2, 2147483647, -2147483648, 5, 6], [3, 2], "int32"), tf.tensor1d([2, 0, 1, 2], "int32")),
  );
});

test("other axes, batch dims (which the stock kernel reads out of bounds for) and bool tables match cpu", async () => {
  const table = pseudoRandom(4 * 6, 5);
  await sameOnBothBackends("axis 1", () => tf.gather(tf.tensor2d(table, [4, 6]), tf.tensor1d([5, 0, 3], "int32"), 1));
  await sameOnBothBackends("batch dims 1", () =>
    tf.gather(tf.tensor2d(table, [4, 6]), tf.tensor2d([1, 0, 5, 5, 2, 3, 0, 1], [4, 2], "int32"), 1, 1),
  );
  await sameOnBothBackends("bool", () => tf.gather(tf.tensor1d([true, false, true], "bool"), tf.tensor1d([1, 2], "int32")));
});

test("an index out of range is refused with the stock message and leaks nothing", async () => {
  await onBackend("wasm", () => {
    const table = tf.tensor2d(pseudoRandom(10 * 4, 7), [10, 4]);
    const before = tf.memory();
    for (const bad of [10, -1]) {
      assert.throws(() => tf.gather(table, tf.tensor1d([0, bad], "int32")).dispose(), {
        message: `GatherV2: the index value ${bad} is not in [0, 9]`,
      });
    }
    const after = tf.memory() as tf.MemoryInfo & { numDataBuffers?: number };
    // The two index tensors stay (the scope disposes them); no output buffer is left.
    assert.equal(after.numTensors, before.numTensors + 2);
    assert.equal((after as { numDataBuffers?: number }).numDataBuffers, ((before as { numDataBuffers?: number }).numDataBuffers ?? 0) + 2);
  });
});

test("embedding gradients through the override match cpu", async () => {
  const run = () => {
    const table = tf.variable(tf.tensor2d(pseudoRandom(12 * 3, 9), [12, 3]));
    const ids = tf.tensor1d([3, 3, 0, 11, 7], "int32");
    const { grads } = tf.variableGrads(() => tf.gather(table, ids).square().sum() as tf.Scalar, [table]);
    const out = values(grads[table.name]!);
    table.dispose();
    return out;
  };
  assertClose(await onBackend("wasm", run), await onBackend("cpu", run), 1e-6, "embedding gradient");
});

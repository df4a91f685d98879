import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { unsortedSegmentSumCpuConfig } from "../../../src/runtime/backend/kernels/unsorted-segment-sum-cpu.js";
import { selectBackend } from "../../../src/runtime/backend/select.js";

test("on cpu, UnsortedSegmentSum is the single-pass kernel, with the stock kernel's results", async () => {
  await selectBackend("cpu");
  assert.equal(tf.getKernel("UnsortedSegmentSum", "cpu")?.kernelFunc, unsortedSegmentSumCpuConfig.kernelFunc);
  const x = tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8], [4, 2]);
  const ids = tf.tensor1d([2, 0, 2, 9], "int32");
  const out = tf.unsortedSegmentSum(x, ids, 3);
  assert.deepEqual(Array.from(out.dataSync()), [3, 4, 0, 0, 6, 8], "out-of-range ids are dropped");
  const table = tf.variable(tf.ones([1000, 4]));
  const batch = tf.tensor1d([5, 5, 7], "int32");
  const { grads } = tf.variableGrads(() => tf.gather(table, batch).sum() as tf.Scalar, [table]);
  const g = grads[table.name]!.arraySync() as number[][];
  assert.deepEqual([g[5], g[7], g[0]], [[2, 2, 2, 2], [1, 1, 1, 1], [0, 0, 0, 0]]);
  tf.dispose([x, ids, out, table, batch, ...Object.values(grads)]);
});

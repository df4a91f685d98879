/**
 * The fused step's dense gradients live in the wasm heap (src/runtime/fused/adam.ts
 * bindGradients), where the products write them and Adam's kernel reads them
 * in place: one block, each gradient from a cache line of its own, its
 * values kept and its view made again after the heap grows. (That a step
 * with them trains to the JavaScript loops' bits is adam-kernels.test.ts's.)
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../../src/runtime/backend/select.js";
import { bindGradients, ensureSlots } from "../../../src/runtime/fused/adam.js";
import { param } from "../../../src/runtime/fused/buffers.js";
import type { AdamFields } from "../../../src/runtime/graph/in-place-adam.js";

before(async () => {
  await selectBackend("wasm");
});
after(() => selectBackend("cpu"));

const heap = () => (tf.engine().backend as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.buffer;

test("each param's gradient is a view of one heap block, from a cache line, of the weight's size, kept across the heap's growth", () => {
  const sizes = [5, 416 * 3, 16, 1];
  const params = sizes.map((n, i) => param(tf.variable(tf.zeros([n]), true, `w${i}`)));
  const optimizer = tf.train.adam(0.001);
  const adam = optimizer as unknown as AdamFields;
  ensureSlots(adam, params);
  bindGradients(adam, params);
  const spans = params.map((p, i) => {
    assert.equal(p.grad.buffer, heap(), `gradient ${i} is in the heap`);
    assert.equal(p.grad.length, sizes[i]);
    assert.equal(p.grad.byteOffset % 64, 0, `gradient ${i} starts on a cache line`);
    p.grad.fill(i + 1);
    return [p.grad.byteOffset, p.grad.byteOffset + 4 * p.grad.length] as const;
  });
  spans.forEach(([, end], i) => assert.ok(i === spans.length - 1 || end <= spans[i + 1]![0], "one after another, no overlap"));
  // The heap grows (detaching every view of it): bound again, the same places hold the same values.
  const big = tf.zeros([16 * 1024 * 1024]);
  assert.notEqual(heap(), params[0]!.grad.buffer, "the heap moved");
  bindGradients(adam, params);
  params.forEach((p, i) => {
    assert.equal(p.grad.buffer, heap());
    assert.equal(p.grad.byteOffset, spans[i]![0]);
    assert.deepEqual(Array.from(p.grad), new Array<number>(sizes[i]!).fill(i + 1));
  });
  big.dispose();
  optimizer.dispose();
  tf.disposeVariables();
});

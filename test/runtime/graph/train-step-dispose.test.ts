/**
 * Disposing a train step returns its blocks of the wasm heap at once: the
 * tables' optimiser slots (hundreds of MB for the recsys benchmark's 26
 * tables) and the fused program's buffers. They used to wait for V8 to
 * collect the small objects holding them, which it had no reason to do, so a
 * process training one model after another grew its heap by the slots'
 * size each time until the 4 GiB ran out.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { compileSource } from "../../../src/compiler.js";
import { selectBackend } from "../../../src/runtime/backend/select.js";
import { HeapArray } from "../../../src/runtime/backend/tensor-memory.js";
import { buildModel } from "../../../src/runtime/graph/build-model.js";
import { createTrainStep } from "../../../src/runtime/graph/train-step.js";
import { plainRun, randomBatch } from "../fused/fixtures.js";
import { repoRoot } from "../../helpers/paths.js";

before(async () => {
  await selectBackend("wasm");
});
after(() => selectBackend("cpu"));

test("a heap block freed by its owner can be used no more, and freeing it twice is harmless", () => {
  const block = HeapArray.create(1000)!;
  block.floats.fill(1);
  block.free();
  block.free();
  assert.throws(() => block.floats, /a heap block was used after it was freed/);
  assert.throws(() => block.ints, /a heap block was used after it was freed/);
});

test("training the recsys model again and again in one process keeps the wasm heap's size, on the fused and the plain step", () => {
  // The benchmark's ESMM at full size: 26 tables of 100,000 x 16, whose Adam slots take 333 MB of the heap.
  const path = join(repoRoot(), "bench/train/specs/recsys-esmm.mtl");
  const ir = compileSource(readFileSync(path, "utf8"), path).ir!;
  const batch = randomBatch(ir, 64, 1);
  for (const options of [{}, { fused: false }]) {
    const heap: number[] = [];
    for (let i = 0; i < 8; i++) {
      const step = createTrainStep(buildModel(ir), options);
      if (step.engine === "fused") step.runEncoded!(batch);
      else plainRun(step, ir, batch);
      step.dispose();
      tf.disposeVariables();
      heap.push(HeapArray.heapBytes());
    }
    const mb = heap.map((b) => Math.round(b / 2 ** 20));
    // Without the frees each run added its slots' 333 MB. Now the heap settles once malloc has room to reuse the freed
    // blocks (the plain step's larger tensors fragment it once: 573, 573, 811, 811, ... MB), and grows no more.
    assert.ok(heap[7]! - heap[3]! < 64 * 2 ** 20, `${JSON.stringify(options)}: heap MB after each run ${mb.join(", ")}`);
  }
});

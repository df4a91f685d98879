/**
 * Cache-line-aligned storage on the wasm heap (src/runtime/backend/aligned-heap.ts,
 * tensor-memory.ts unfilledFloat32 / ownAlignedStorage): large tensors start
 * on a 64-byte boundary; disposing them frees the block malloc returned (so
 * the heap neither leaks nor is corrupted by a free of an interior pointer);
 * a variable given new storage keeps its values.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../../src/runtime/backend/select.js";
import { ALIGNMENT, translatedBlocks, type WasmHeapModule } from "../../../src/runtime/backend/aligned-heap.js";
import { ALIGNED_MIN_BYTES, ownAlignedStorage, unfilledFloat32, writableRows } from "../../../src/runtime/backend/tensor-memory.js";

before(async () => {
  await selectBackend("wasm");
});
after(() => selectBackend("cpu"));

const heap = (): WasmHeapModule => (tf.engine().backend as unknown as { wasm: WasmHeapModule }).wasm;
const offset = (t: tf.Tensor): number => writableRows(t)!.byteOffset;
/** A table of ALIGNED_MIN_BYTES and more: rows of 16 floats. */
const ROWS = ALIGNED_MIN_BYTES / 64 + 3;

test("large unfilled tensors start on a cache line; small ones are malloc's own", () => {
  const made: tf.Tensor[] = [];
  try {
    // Odd-sized small tensors in between move malloc's next block off the line boundary.
    for (let i = 0; i < 8; i++) {
      made.push(tf.tensor1d(new Float32Array(3 + 2 * i)));
      const table = unfilledFloat32([ROWS, 16])!;
      made.push(table);
      assert.equal(offset(table) % ALIGNMENT, 0, `table ${i} at ${offset(table)}`);
    }
    const small = unfilledFloat32([5])!;
    made.push(small);
    assert.equal(offset(small) % 8, 0);
  } finally {
    tf.dispose(made);
  }
});

test("allocating and disposing aligned tensors many times frees each block: no growth, no corruption", () => {
  const wasm = heap();
  const before = translatedBlocks(wasm);
  // A tensor that lives through it all, to check nothing writes over it.
  const witness = tf.tensor1d(Float32Array.from({ length: 1000 }, (_, i) => i * 0.5));
  const cycle = () => {
    const live: tf.Tensor[] = [];
    for (let i = 0; i < 20; i++) {
      const t = unfilledFloat32([ROWS + i, 16])!;
      writableRows(t)!.fill(i);
      live.push(t, tf.tensor1d(new Float32Array(7 + i)));
      // TF.js kernels allocate and free through the same (wrapped) free.
      live.push(tf.tidy(() => tf.add(t, 1)));
    }
    for (const [i, t] of live.entries()) if (i % 3 === 2) assert.equal(t.dataSync()[5], (i - 2) / 3 + 1);
    tf.dispose(live);
  };
  cycle();
  const size = wasm.HEAPU8.length;
  for (let round = 0; round < 30; round++) cycle();
  // A leak of 20 blocks of 64 KB per round would have grown the heap by 38 MB.
  assert.equal(wasm.HEAPU8.length, size, "the heap grew: aligned blocks are not freed");
  assert.equal(translatedBlocks(wasm), before, "translations left behind for freed blocks");
  assert.deepEqual(Array.from(witness.dataSync().subarray(0, 4)), [0, 0.5, 1, 1.5]);
  assert.equal(witness.dataSync()[999], 499.5);
  witness.dispose();
  // malloc still works after all that (a corrupted heap aborts or returns overlapping blocks).
  const a = unfilledFloat32([ROWS, 16])!;
  const b = unfilledFloat32([ROWS, 16])!;
  const [ra, rb] = [writableRows(a)!, writableRows(b)!];
  assert.ok(ra.byteOffset + ra.byteLength <= rb.byteOffset || rb.byteOffset + rb.byteLength <= ra.byteOffset, "overlapping blocks");
  tf.dispose([a, b]);
});

test("ownAlignedStorage moves a variable's values to an aligned block once, and again after it is assigned", () => {
  const values = Float32Array.from({ length: ROWS * 16 }, (_, i) => Math.sin(i));
  const variable = tf.variable(tf.tensor2d(values, [ROWS, 16]));
  try {
    const copied = ownAlignedStorage(variable);
    assert.equal(offset(variable) % ALIGNMENT, 0);
    assert.deepEqual(variable.dataSync(), values);
    // tf.variable shares its initial tensor's storage, which was not unfilledFloat32's: the first call copied.
    assert.equal(copied, true);
    assert.equal(ownAlignedStorage(variable), false, "an aligned, unshared variable is left alone");
    // A restored checkpoint assigns new (malloc'ed, shared until disposed) storage.
    const restored = tf.tensor2d(values.map((v) => v * 2), [ROWS, 16]);
    variable.assign(restored);
    assert.equal(ownAlignedStorage(variable), true);
    assert.equal(offset(variable) % ALIGNMENT, 0);
    assert.deepEqual(variable.dataSync(), values.map((v) => v * 2));
    // The storage is its own: writing it leaves the assigned tensor's values alone.
    writableRows(variable)![0] = 42;
    assert.equal(variable.dataSync()[0], 42);
    assert.equal(restored.dataSync()[0], Math.fround(values[0]! * 2));
    restored.dispose();
  } finally {
    variable.dispose();
  }
});

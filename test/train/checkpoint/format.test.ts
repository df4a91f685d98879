/**
 * The arrays file reads back exactly: as views of the file's own buffer where
 * the values lie aligned (a loaded checkpoint is not copied again), as copies
 * where they do not; slots an export has not split into arrays are written as
 * those arrays would be.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { TrainStepState } from "../../../src/runtime/graph/index.js";
import { firstNonFiniteWeight, packArrays, unpackArrays } from "../../../src/train/checkpoint/format.js";
import type { SparseSlots } from "../../../src/runtime/graph/sparse-embeddings.js";
import { copySlot } from "../../../src/runtime/graph/slot-rows.js";

const state: TrainStepState = {
  steps: 3,
  weights: [
    { name: "dense/kernel", shape: [3, 2], dtype: "float32", values: Float32Array.of(1.5, -2, 0, Infinity, 1e-30, 7) },
    { name: "lookup/ids", shape: [4], dtype: "int32", values: Int32Array.of(1, -2, 3, 2 ** 31 - 1) },
  ],
  optimizer: [{ name: "iter", shape: [], dtype: "float32", values: Float32Array.of(3) }],
  sparse: [{ table: "user_id", slots: [Float32Array.of(0.25, 0.5), Float32Array.of(-1, 1)] }],
  logVariances: {},
};

const meta = (entries: ReturnType<typeof packArrays>["entries"]) => ({ arrays: entries, position: { steps: 3, epoch: 1, batch: 3, epochComplete: false }, logVariances: {} });

const arraysOf = (s: TrainStepState) => [...s.weights.map((a) => a.values), ...s.optimizer.map((a) => a.values), ...s.sparse.flatMap((t) => t.slots)];

test("unpacked arrays equal the packed ones, as views of an aligned buffer and as copies of an unaligned one", () => {
  const { bytes, entries } = packArrays(state);
  const own = new Uint8Array(bytes);
  const viewed = unpackArrays(own, meta(entries));
  for (const [i, values] of arraysOf(viewed).entries()) {
    assert.deepEqual(values, arraysOf(state)[i]);
    assert.equal(values.buffer, own.buffer, "an aligned array is a view of the file's bytes, not a copy");
  }
  // The same bytes one byte into a larger buffer: no value lies 4-aligned.
  const shifted = new Uint8Array(bytes.byteLength + 1);
  shifted.set(bytes, 1);
  const copied = unpackArrays(shifted.subarray(1), meta(entries));
  for (const [i, values] of arraysOf(copied).entries()) {
    assert.deepEqual(values, arraysOf(state)[i]);
    assert.notEqual(values.buffer, shifted.buffer);
  }
  assert.deepEqual(copied.weights.map((w) => w.dtype), ["float32", "int32"]);
  assert.ok(viewed.weights[1]!.values instanceof Int32Array);
});

test("slots given by a writer (an export not split into arrays yet) pack to the bytes of the same slots given as arrays, without making the arrays", () => {
  // user_id's two slots as sparse-embeddings.ts keeps them: each row's m then v (slot-rows.ts), 2 rows of 1.
  const perRow = Float32Array.of(0.25, -1, 0.5, 1);
  const written: SparseSlots = {
    table: "user_id",
    get slots(): Float32Array[] {
      throw new Error("the packer made the arrays");
    },
    writer: { count: 2, size: 2, write: (slot, into) => copySlot(perRow, slot, 2, 1, into) },
  };
  const expected = packArrays(state);
  const actual = packArrays({ ...state, sparse: [written] });
  assert.deepEqual(actual.entries, expected.entries);
  assert.deepEqual(actual.bytes, expected.bytes);
});

test("firstNonFiniteWeight names the first weight holding a NaN or an infinity, and its value", () => {
  const weights = (...arrays: Float32Array[]) => ({ ...state, weights: arrays.map((values, i) => ({ name: `w${i}`, shape: [values.length], dtype: "float32" as const, values })) });
  const finite = Float32Array.from({ length: 1001 }, (_, i) => i - 500);
  assert.equal(firstNonFiniteWeight(weights(finite, finite)), null);
  const late = finite.slice();
  late[1000] = -Infinity;
  late[999] = 3e38;
  assert.deepEqual(firstNonFiniteWeight(weights(finite, late)), { name: "w1", value: -Infinity });
  const nan = finite.slice();
  nan[2] = NaN;
  assert.ok(Number.isNaN(firstNonFiniteWeight(weights(nan, late))!.value));
  // int32 weights are finite by type (the fixture's state has one, and an infinity among its float weights).
  assert.deepEqual(firstNonFiniteWeight(state), { name: "dense/kernel", value: Infinity });
});

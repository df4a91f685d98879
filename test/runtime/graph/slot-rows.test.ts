/** The per-row layout of a table's optimiser slots (src/runtime/graph/slot-rows.ts) and its conversion to checkpoints' one array per slot. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { joinSlots, slotStart, splitSlots } from "../../../src/runtime/graph/slot-rows.js";

test("a row's slots lie together, slot after slot: row r's slot k starts at (r * count + k) * dim", () => {
  // Two slots of 3 values over 4 rows: each value names its slot, row and place.
  const [count, dim, rows] = [2, 3, 4];
  const perSlot = Array.from({ length: count }, (_, k) => Float32Array.from({ length: rows * dim }, (_, i) => 1000 * (k + 1) + i));
  const joined = new Float32Array(count * rows * dim);
  joinSlots(perSlot, joined, dim);
  assert.deepEqual([...joined.subarray(0, 12)], [1000, 1001, 1002, 2000, 2001, 2002, 1003, 1004, 1005, 2003, 2004, 2005]);
  assert.equal(slotStart(2, 1, count, dim), 15);
  assert.deepEqual([...joined.subarray(15, 18)], [2006, 2007, 2008]);
  assert.deepEqual(splitSlots(joined, count, dim), perSlot);
});

test("one slot's per-row layout is the table's own; no slots split into none", () => {
  const values = Float32Array.from({ length: 10 }, (_, i) => i / 3);
  const joined = new Float32Array(10);
  joinSlots([values], joined, 5);
  assert.deepEqual(joined, values);
  assert.deepEqual(splitSlots(joined, 1, 5), [values]);
  assert.deepEqual(splitSlots(new Float32Array(0), 0, 5), []);
});

test("split and join keep every bit: NaN payloads, negative zero, subnormals", () => {
  const words = Uint32Array.from({ length: 3 * 8 }, (_, i) => [0x7fc00001, 0x80000000, 0x00000001, 0x3f800000 + i][i % 4]!);
  const [m, v] = [new Float32Array(words.buffer, 0, 12), new Float32Array(words.buffer, 48, 12)];
  const joined = new Float32Array(24);
  joinSlots([m!, v!], joined, 4);
  const back = splitSlots(joined, 2, 4);
  const bits = (a: Float32Array) => [...new Uint32Array(a.buffer, a.byteOffset, a.length)];
  assert.deepEqual(back.map(bits), [bits(m!), bits(v!)]);
});

/**
 * The SIMD arena (src/runtime/fused/arena.ts) lays regions out from address
 * 0, each on a 16-byte vector boundary and none overlapping, its views on the
 * memory the kernels read; a layout that needs more than the memory's maximum
 * gets null and leaves the memory (and the last layout's views) as they were;
 * a runtime that cannot reserve another memory gives no arena (the programs
 * then run their JavaScript loops), not an error; where the system takes the
 * advice, its memory is marked for huge pages.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { WASM_PAGE } from "../../../src/util/wasm-binary.js";
import { SimdArena } from "../../../src/runtime/fused/arena.js";
import { smallArena } from "./ops.js";
import { alignedInside, canAdvise, vmFlags } from "../../helpers/huge-pages.js";

test("regions: 16-byte aligned, in order, not overlapping, each a view of its own floats at its address", () => {
  const { arena } = smallArena(4);
  const sizes = [3, 5, 0, 8, 1];
  const regions = arena.layout(sizes)!;
  assert.deepEqual(regions.map((r) => r.address), [0, 16, 48, 48, 80]);
  regions.forEach((r, i) => {
    assert.equal(r.view.length, sizes[i]);
    assert.equal(r.view.byteOffset, r.address);
  });
  regions.forEach((r, i) => r.view.fill(i + 1));
  regions.forEach((r, i) => assert.ok(r.view.every((v) => v === i + 1), `region ${i} kept its values`));
  // The kernels see the same floats: relu on region 3's address leaves its positive values.
  regions[3]!.view.set([-1, 2, -3, 4, -5, 6, -7, 8]);
  arena.kernels.relu(regions[3]!.address, 1, 8, 32);
  assert.deepEqual([...regions[3]!.view], [0, 2, 0, 4, 0, 6, 0, 8]);
});

test("past the maximum: null, and the memory and the last layout's views as they were", () => {
  const { arena, outcomes } = smallArena(1);
  const first = arena.layout([WASM_PAGE / 8])!;
  first[0]!.view.fill(7);
  assert.equal(arena.layout([WASM_PAGE / 4 + 1]), null);
  assert.equal(first[0]!.view.length, WASM_PAGE / 8, "not detached");
  assert.ok(first[0]!.view.every((v) => v === 7));
  assert.deepEqual(outcomes, [true, false]);
  assert.equal(arena.layout([WASM_PAGE / 4])!.length, 1, "a whole page fits");
});

test("no address space for another memory (V8's RangeError): no arena, not an error", () => {
  const api = (globalThis as unknown as { WebAssembly: { Memory: unknown } }).WebAssembly;
  const memory = api.Memory;
  api.Memory = function () {
    throw new RangeError("WebAssembly.Memory(): could not allocate memory");
  };
  try {
    assert.equal(SimdArena.create(), null);
  } finally {
    api.Memory = memory;
  }
  assert.ok(SimdArena.create() !== null, "and an arena again once there is room");
});

test("the arena's memory is advised to use huge pages before its first layout is written, and the advice covers what it grows into", () => {
  const made = SimdArena.create()!;
  const [first] = made.layout([(8 << 20) / 4])!;
  first!.view.fill(1.5);
  if (canAdvise) assert.ok(vmFlags(alignedInside(first!.view)).includes("hg"), "the first layout's memory");
  // A larger batch's layout grows the memory: the new room was advised with the first.
  const regions = made.layout([(8 << 20) / 4, (16 << 20) / 4])!;
  assert.ok(regions[0]!.view.every((v) => v === 1.5), "values kept");
  if (canAdvise) assert.ok(vmFlags(alignedInside(regions[1]!.view)).includes("hg"), "memory grown into later");
});

/**
 * The SIMD arena (src/runtime/fused/arena.ts) lays regions out from address
 * 0, each on a 16-byte vector boundary and none overlapping, its views on the
 * memory the kernels read; a layout that needs more than the memory's maximum
 * gets null and leaves the memory (and the last layout's views) as they were;
 * a runtime that cannot reserve another memory gives no arena (the programs
 * then run their JavaScript loops), not an error; where the system takes the
 * advice, its memory is marked for huge pages. Where the regions lie does not
 * change a bit of what a step computes.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { WASM_PAGE } from "../../../src/util/wasm-binary.js";
import { SimdArena } from "../../../src/runtime/fused/arena.js";
import { selectBackend } from "../../../src/runtime/backend/select.js";
import { createFusedTrainStep } from "../../../src/runtime/fused/step.js";
import { fusedBlas } from "../../../src/runtime/fused/support.js";
import { assertSameStateBits, oddWidthsIR, randomBatch, specFiles, specIR, twins } from "./fixtures.js";
import { arena, smallArena } from "./ops.js";
import { alignedInside, canAdvise, vmFlags } from "../../helpers/huge-pages.js";

test("regions: 16-byte aligned, in order, three cache lines apart, not overlapping, each a view of its own floats at its address", () => {
  const { arena } = smallArena(4);
  const sizes = [3, 5, 0, 8, 1];
  const regions = arena.layout(sizes)!;
  // Each start: the last one's 16-byte-rounded end, and 192 bytes.
  assert.deepEqual(regions.map((r) => r.address), [0, 208, 432, 624, 848]);
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

test("regions of whole pages (a 1,024-row batch's tensors) start at distinct offsets within a page", () => {
  const regions = arena().layout(new Array<number>(40).fill(1024 * 64))!;
  const offsets = new Set(regions.map((r) => r.address % 4096));
  assert.equal(offsets.size, 40);
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

before(async () => {
  await selectBackend("wasm");
});
after(() => selectBackend("cpu"));

/** An arena whose every layout starts `shift` floats later (an unused region first): each tensor at another address and offset in its page. */
function shiftedArena(shift: number): SimdArena {
  const made = arena();
  const layout = made.layout.bind(made);
  made.layout = (floats) => layout([shift, ...floats])?.slice(1) ?? null;
  return made;
}

for (const [name, irOf] of [
  ["bench/train/specs/recsys-mmoe.mtl", () => specIR(specFiles().find((s) => s.name === "bench/train/specs/recsys-mmoe.mtl")!.path)],
  ["odd widths", oddWidthsIR],
] as const) {
  test(`${name}: steps train to the same bits wherever the arena places the tensors`, async () => {
    const ir = irOf();
    const [a, b] = twins(ir);
    const blas = fusedBlas()!;
    const here = createFusedTrainStep(a, blas, arena());
    const there = createFusedTrainStep(b, blas, shiftedArena(1029));
    for (const [s, size] of [64, 64, 23].entries()) {
      const batch = randomBatch(ir, size, 900 + s);
      const [got, want] = [here.runEncoded!(batch), there.runEncoded!(batch)];
      // Object.is per number: the same bits.
      assert.deepEqual([got.total, ...Object.values(got.perTask)], [want.total, ...Object.values(want.perTask)], `step ${s + 1} losses`);
    }
    await assertSameStateBits(here, there);
  });
}

/**
 * The hand-assembled WebAssembly SIMD kernels (relu, mix, mix2, fill) compute what their definitions
 * say, on rows at strides, with widths that leave a tail after the 4-float
 * vectors, and leave every value outside their rows untouched.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { simdKernels, simdMemory } from "../../../src/runtime/fused/simd.js";
import { WASM_PAGE } from "../../../src/util/wasm-binary.js";
import { seededRandom } from "../../helpers/random.js";

function setup() {
  const memory = simdMemory();
  assert.ok(memory !== null, "Node runs WebAssembly SIMD");
  memory.grow(1);
  const floats = new Float32Array(memory.buffer, 0, WASM_PAGE / 4);
  const random = seededRandom(3);
  for (let i = 0; i < floats.length; i++) floats[i] = random() * 2 - 1;
  return { kernels: simdKernels(memory), floats, before: Float32Array.from(floats) };
}

test("relu over strided rows: max(v, 0) in each row's first `units` values (vectors and tail), nothing else", () => {
  const { kernels, floats, before } = setup();
  const [at, rows, units, stride] = [12, 9, 11, 16]; // floats; 11 = two vectors and a tail of 3
  kernels.relu(at * 4, rows, units, stride * 4);
  for (let i = 0; i < floats.length; i++) {
    const inRow = i >= at && i < at + rows * stride && (i - at) % stride < units;
    assert.equal(floats[i], inRow ? Math.max(before[i]!, 0) : before[i]!, `value ${i}`);
  }
});

test("mix: per row, sum over the experts of gate weight times the expert's row, at every stride, tail included", () => {
  const { kernels, floats, before } = setup();
  for (const [n, width] of [[8, 128], [5, 7], [1, 3], [3, 4]] as const) {
    floats.set(before);
    const rows = 6;
    const [gate, gs, stack, ss, out, os] = [4, n + 2, 200, n * width + 4, 8000, width + 5];
    kernels.mix(gate * 4, gs * 4, stack * 4, ss * 4, out * 4, os * 4, rows, n, width);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < width; j++) {
        let want = 0;
        for (let k = 0; k < n; k++) want += before[gate + r * gs + k]! * before[stack + r * ss + k * width + j]!;
        assert.ok(Math.abs(floats[out + r * os + j]! - want) <= 1e-6 * Math.max(1, Math.abs(want)), `n ${n} width ${width} row ${r} column ${j}`);
      }
      for (let j = width; j < os; j++) assert.equal(floats[out + r * os + j], before[out + r * os + j], "between rows: untouched");
    }
  }
});

test("fill: each strided row's first `units` values set to the source row (vectors and tail), nothing else", () => {
  const { kernels, floats, before } = setup();
  const [at, rows, units, stride, from] = [40, 7, 10, 13, 3];
  kernels.fill(at * 4, rows, units, stride * 4, from * 4);
  for (let i = 0; i < floats.length; i++) {
    const column = (i - at) % stride;
    const inRow = i >= at && i < at + rows * stride && column < units;
    assert.equal(floats[i], inRow ? before[from + column]! : before[i]!, `value ${i}`);
  }
});

test("mix2: both gates' mixes of one stack, as mix computes each, tail included", () => {
  const { kernels, floats, before } = setup();
  for (const [n, width] of [[8, 128], [5, 7], [1, 3]] as const) {
    floats.set(before);
    const rows = 4;
    const [gate0, gate1, gs, stack, ss, out0, out1, os] = [4, 100, n + 1, 300, n * width + 2, 6000, 9000, width + 3];
    kernels.mix2(gate0 * 4, gate1 * 4, gs * 4, stack * 4, ss * 4, out0 * 4, out1 * 4, os * 4, rows, n, width);
    const got = Float32Array.from(floats);
    floats.set(before);
    kernels.mix(gate0 * 4, gs * 4, stack * 4, ss * 4, out0 * 4, os * 4, rows, n, width);
    kernels.mix(gate1 * 4, gs * 4, stack * 4, ss * 4, out1 * 4, os * 4, rows, n, width);
    assert.deepEqual(got, floats, `n ${n} width ${width}: the same sums, in the same order, and nothing else written`);
  }
});

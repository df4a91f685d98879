/**
 * The hand-assembled WebAssembly SIMD kernels compute what their definitions
 * say, on rows at strides, with widths that leave a tail after the 4-float
 * vectors, and leave every value outside their rows untouched: the
 * element-wise ones (relu, fill, bias, biasRelu, reluBack) bit for bit as one
 * float32 operation per value (what the JavaScript loops of dense.ts
 * compute), the mixes and their backward within float32 summation rounding.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ADD_GATE, ADD_GATE1, ADD_STACK, simdKernels, simdMemory } from "../../../src/runtime/fused/simd.js";
import { WASM_PAGE } from "../../../src/util/wasm-binary.js";
import { seededRandom } from "../../helpers/random.js";

/**
 * A page of values in [-1, 1); with `zeros`, every 13th an exact 0 and every 17th a -0 (relu's and its
 * backward's edge cases; the mixes' signs of zero are not pinned: mix starts from +0, mix2 from the first product).
 */
function setup(zeros = false) {
  const memory = simdMemory();
  assert.ok(memory !== null, "Node runs WebAssembly SIMD");
  memory.grow(1);
  const floats = new Float32Array(memory.buffer, 0, WASM_PAGE / 4);
  const random = seededRandom(3);
  for (let i = 0; i < floats.length; i++) floats[i] = zeros && i % 13 === 0 ? 0 : zeros && i % 17 === 0 ? -0 : random() * 2 - 1;
  return { kernels: simdKernels(memory), floats, before: Float32Array.from(floats) };
}

/**
 * rows x units floats from `at` (floats), rows `stride` apart, hold f(old value, column, row), bit for bit
 * (-0 and 0 apart: assert.equal is Object.is), and every other value is as before.
 */
function assertRows(floats: Float32Array, before: Float32Array, [at, rows, units, stride]: number[], f: (v: number, column: number, row: number) => number, what: string): void {
  for (let i = 0; i < floats.length; i++) {
    const [row, column] = [Math.floor((i - at) / stride), (i - at) % stride];
    const inRow = i >= at && i < at + rows! * stride! && column < units!;
    assert.equal(floats[i], inRow ? f(before[i]!, column, row) : before[i]!, `${what}: value ${i}`);
  }
}

test("relu over strided rows: max(v, 0) in each row's first `units` values (vectors and tail), nothing else", () => {
  const { kernels, floats, before } = setup(true);
  const [at, rows, units, stride] = [12, 9, 11, 16]; // floats; 11 = two vectors and a tail of 3
  kernels.relu(at * 4, rows, units, stride * 4);
  for (let i = 0; i < floats.length; i++) {
    const inRow = i >= at && i < at + rows * stride && (i - at) % stride < units;
    assert.equal(floats[i], inRow ? Math.max(before[i]!, 0) : before[i]!, `value ${i}`);
  }
});

test("bias and biasRelu: v + b and max(v + b, 0) rounded once to float32, per strided row, tail included, nothing else", () => {
  const { kernels, floats, before } = setup(true);
  const [at, rows, units, stride, from] = [41, 9, 11, 14, 2000];
  kernels.bias(at * 4, rows, units, stride * 4, from * 4);
  assertRows(floats, before, [at, rows, units, stride], (v, j) => Math.fround(v + before[from + j]!), "bias");
  floats.set(before);
  kernels.biasRelu(at * 4, rows, units, stride * 4, from * 4);
  assertRows(floats, before, [at, rows, units, stride], (v, j) => Math.max(Math.fround(v + before[from + j]!), 0), "biasRelu");
});

test("reluBack: dy * (y > 0 ? 1 : 0) as JavaScript multiplies (-0 where dy < 0 and y <= 0), y's rows untouched", () => {
  const { kernels, floats, before } = setup(true);
  const [at, rows, units, stride, y] = [8, 10, 13, 16, 5000];
  kernels.reluBack(at * 4, rows, units, stride * 4, y * 4);
  assertRows(floats, before, [at, rows, units, stride], (dy, j, r) => dy * (before[y + r * stride + j]! > 0 ? 1 : 0), "reluBack");
  assert.ok([...floats.subarray(at, at + rows * stride)].some((v) => Object.is(v, -0)), "the -0 case is covered");
});

test("reluBackSum: reluBack's values, and each column's new dy summed in float32 row after row into the sum row (added to what it holds)", () => {
  const { kernels, floats, before } = setup(true);
  const [at, rows, units, stride, y, sum] = [8, 10, 13, 16, 5000, 9000];
  kernels.reluBackSum(at * 4, rows, units, stride * 4, y * 4, sum * 4);
  const dz = (dy: number, j: number, r: number) => dy * (before[y + r * stride + j]! > 0 ? 1 : 0);
  const want = Float32Array.from(before.subarray(sum, sum + units));
  for (let r = 0; r < rows; r++) for (let j = 0; j < units; j++) want[j] = want[j]! + dz(before[at + r * stride + j]!, j, r);
  // Every value outside dy's rows and the sums as before; dy's rows as reluBack leaves them.
  const untouched = Float32Array.from(floats);
  untouched.set(before.subarray(sum, sum + units), sum);
  assertRows(untouched, before, [at, rows, units, stride], dz, "reluBackSum's dy");
  assert.deepEqual(floats.subarray(sum, sum + units), want, "the column sums");
});

test("columnSum: each column of strided rows (vectors and tail) summed in float32 row after row into the sum row; nothing else written", () => {
  const { kernels, floats, before } = setup(true);
  const [at, rows, units, stride, sum] = [41, 9, 11, 14, 2000];
  kernels.columnSum(at * 4, rows, units, stride * 4, sum * 4);
  const want = Float32Array.from(before.subarray(sum, sum + units));
  for (let r = 0; r < rows; r++) for (let j = 0; j < units; j++) want[j] = want[j]! + before[at + r * stride + j]!;
  const expected = Float32Array.from(before);
  expected.set(want, sum);
  assert.deepEqual(floats, expected);
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

/** Float offsets of one mix backward layout: gates and their gradients, the stack and its gradient, the outputs' gradients. */
interface BackLayout {
  gates: number[];
  dGates: number[];
  gs: number;
  stack: number;
  dStack: number;
  ss: number;
  dOuts: number[];
  os: number;
  rows: number;
  n: number;
  width: number;
}

/**
 * After a mix backward over `before`: dStack rows (+)= sum over gates of gate[k] dOut, each dGate[k] (+)=
 * dOut . stack row k, summed in double here (float32 sums four columns at a time there: within 1e-5 of the
 * terms' magnitude), and every float outside those rows untouched.
 */
function assertMixBack(floats: Float32Array, before: Float32Array, l: BackLayout, addStack: boolean, addGate: boolean[], what: string): void {
  const written = new Set<number>();
  const close = (got: number, want: number, scale: number, where: string) =>
    assert.ok(Math.abs(got - want) <= 1e-5 * Math.max(1, scale), `${what} ${where}: got ${got}, want ${want}`);
  for (let r = 0; r < l.rows; r++) {
    for (let k = 0; k < l.n; k++) {
      for (let j = 0; j < l.width; j++) {
        const at = l.dStack + r * l.ss + k * l.width + j;
        let want = addStack ? before[at]! : 0;
        let scale = Math.abs(want);
        l.gates.forEach((g, i) => {
          const term = before[g + r * l.gs + k]! * before[l.dOuts[i]! + r * l.os + j]!;
          want += term;
          scale += Math.abs(term);
        });
        close(floats[at]!, want, scale, `dStack row ${r} expert ${k} column ${j}`);
        written.add(at);
      }
      l.gates.forEach((_, i) => {
        const at = l.dGates[i]! + r * l.gs + k;
        let want = addGate[i] ? before[at]! : 0;
        let scale = Math.abs(want);
        for (let j = 0; j < l.width; j++) {
          const term = before[l.dOuts[i]! + r * l.os + j]! * before[l.stack + r * l.ss + k * l.width + j]!;
          want += term;
          scale += Math.abs(term);
        }
        close(floats[at]!, want, scale, `dGate ${i} row ${r} expert ${k}`);
        written.add(at);
      });
    }
  }
  for (let i = 0; i < floats.length; i++) if (!written.has(i)) assert.equal(floats[i], before[i], `${what}: value ${i} untouched`);
}

/** Shapes with and without a tail after the vectors, one expert, and MMoE's own (8 experts of 128). */
const BACK_SHAPES = [[8, 128], [5, 7], [1, 3], [3, 4]] as const;

test("mixBack: dStack set or added to, dGate set or added to, at every stride, tail included, nothing else", () => {
  const { kernels, floats, before } = setup();
  for (const [n, width] of BACK_SHAPES) {
    for (const flags of [0, ADD_STACK, ADD_GATE, ADD_STACK | ADD_GATE]) {
      floats.set(before);
      const rows = 3;
      const [gs, ss, os] = [n + 3, n * width + 5, width + 2];
      const l: BackLayout = { gates: [4], dGates: [60], gs, stack: 200, dStack: 3600, ss, dOuts: [7000], os, rows, n, width };
      kernels.mixBack(l.gates[0]! * 4, l.dGates[0]! * 4, gs * 4, l.stack * 4, l.dStack * 4, ss * 4, l.dOuts[0]! * 4, os * 4, rows, n, width, flags);
      assertMixBack(floats, before, l, (flags & ADD_STACK) !== 0, [(flags & ADD_GATE) !== 0], `n ${n} width ${width} flags ${flags}`);
    }
  }
});

test("mix2Back: both gates' backward in one pass over the stack, each gate's flag its own, tail included, nothing else", () => {
  const { kernels, floats, before } = setup();
  for (const [n, width] of BACK_SHAPES) {
    for (const flags of [0, ADD_STACK | ADD_GATE1, ADD_GATE | ADD_GATE1, ADD_STACK | ADD_GATE]) {
      floats.set(before);
      const rows = 3;
      const [gs, ss, os] = [n + 1, n * width + 3, width + 1];
      const l: BackLayout = { gates: [4, 40], dGates: [80, 120], gs, stack: 200, dStack: 3600, ss, dOuts: [7000, 7500], os, rows, n, width };
      const [g0, g1] = l.gates.map((v) => v * 4) as [number, number];
      const [dg0, dg1] = l.dGates.map((v) => v * 4) as [number, number];
      const [d0, d1] = l.dOuts.map((v) => v * 4) as [number, number];
      kernels.mix2Back(g0, g1, dg0, dg1, gs * 4, l.stack * 4, l.dStack * 4, ss * 4, d0, d1, os * 4, rows, n, width, flags);
      assertMixBack(floats, before, l, (flags & ADD_STACK) !== 0, [(flags & ADD_GATE) !== 0, (flags & ADD_GATE1) !== 0], `n ${n} width ${width} flags ${flags}`);
    }
  }
});

test("mix2BackRelu: mix2Back's gate gradients, and its stack gradient through relu with the experts' bias sums, bit for bit as mix2Back, then reluBackSum per expert", () => {
  const { kernels, floats, before } = setup(true);
  for (const [n, width] of BACK_SHAPES) {
    for (const flags of [0, ADD_GATE | ADD_GATE1]) {
      const rows = 3; // the regions below stay apart for 3 rows of the widest shape
      const [gs, ss, os] = [n + 1, n * width + 3, width + 1];
      const [g0, g1, dg0, dg1, stack, dStack, d0, d1, sums] = [4, 40, 80, 120, 200, 3600, 7000, 7500, 9000].map((v) => v * 4) as number[];
      const run = (fused: boolean) => {
        floats.set(before);
        const args = [g0!, g1!, dg0!, dg1!, gs * 4, stack!, dStack!, ss * 4, d0!, d1!, os * 4, rows, n, width, flags] as const;
        if (fused) kernels.mix2BackRelu(...args, sums!);
        else {
          kernels.mix2Back(...args);
          for (let k = 0; k < n; k++) kernels.reluBackSum(dStack! + 4 * k * width, rows, width, ss * 4, stack! + 4 * k * width, sums! + 4 * k * width);
        }
        return Float32Array.from(floats);
      };
      const [fused, apart] = [run(true), run(false)];
      assert.deepEqual(fused, apart, `n ${n} width ${width} flags ${flags}`);
      assert.ok(fused.subarray(dStack! / 4, dStack! / 4 + rows * ss).some((v, i) => v === 0 && before[dStack! / 4 + i] !== 0), "the relu mask zeroed some");
    }
  }
});

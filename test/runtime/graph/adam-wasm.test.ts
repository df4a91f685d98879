/**
 * Adam's WebAssembly kernels (src/runtime/graph/adam-wasm.ts) write the same
 * bits as the JavaScript loops they replace, on arrays in the wasm heap; and
 * they are not used for arrays elsewhere.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { selectBackend } from "../../../src/runtime/backend/select.js";
import { HeapArray } from "../../../src/runtime/backend/tensor-memory.js";
import { adamKernelsFor, type AdamFactors } from "../../../src/runtime/graph/adam-wasm.js";
import { lazyAdam } from "../../../src/runtime/graph/sparse-update.js";
import { denseAdam } from "../../../src/runtime/fused/adam.js";
import { Rng } from "../../../src/util/random.js";

before(async () => {
  await selectBackend("wasm");
});
after(() => selectBackend("cpu"));

/** The blocks the tests use: a HeapArray's block is freed once it is collected, views or not. */
const blocks: HeapArray[] = [];

/** A heap block holding `values`; take its views (.floats) after the last allocation, which may move the heap. */
function onHeap(values: Float32Array | Int32Array): HeapArray {
  const block = HeapArray.create(values.length)!;
  blocks.push(block);
  if (values instanceof Int32Array) block.ints.set(values);
  else block.floats.set(values);
  return block;
}

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

/** Step 3 of Adam(lr 0.01) as sparse-update.ts and adam.ts compute the factors; `sign` < 0 for the dense form's negative rate. */
function factors(sign: number): AdamFactors {
  const [beta1, beta2, step] = [0.9, 0.999, 3];
  return { beta1, c1: 1 - beta1, beta2, c2: 1 - beta2, rate: (sign * 0.01) / (1 - beta1 ** step), inverse2: 1 / (1 - beta2 ** step), epsilon: 1e-7 };
}

const random = (rng: Rng, n: number, scale: number, positive = false) =>
  Float32Array.from({ length: n }, () => (positive ? rng.next() : rng.next() * 2 - 1) * scale);

for (const [dim, count] of [[2, 6], [6, 6], [16, 6], [16, 75]] as const) {
  test(`lazy Adam's kernel writes the JavaScript loop's bits (dim ${dim}, ${count} rows in any order, one twice)`, () => {
    const rng = new Rng(dim + count);
    const tableRows = 120;
    const table = random(rng, tableRows * dim, 0.1);
    const m = random(rng, tableRows * dim, 0.01);
    const v = random(rng, tableRows * dim, 1e-4, true);
    // Many rows, or a few with one read twice.
    const rows = count === 6 ? Int32Array.from([7, 0, 119, 13, 7, 21]) : Int32Array.from({ length: count }, (_, i) => (i === 40 ? 3 : (i * 37) % tableRows));
    // Gradients across magnitudes, zeros among them.
    const values = Float32Array.from({ length: rows.length * dim }, (_, i) => (i % 5 === 0 ? 0 : (rng.next() - 0.5) * 10 ** -(i % 4)));
    const blocks = [onHeap(table), onHeap(m), onHeap(v), onHeap(rows), onHeap(values)];
    const [heapTable, heapM, heapV, , heapValues] = blocks.map((b) => b.floats);
    const heapRows = blocks[3]!.ints;
    const heap = [heapTable!, heapM!, heapV!] as const;
    const kernels = adamKernelsFor([...heap, heapRows, heapValues!], dim);
    assert.ok(kernels !== null, "no kernels for arrays in the wasm heap");
    kernels.lazy(heap[0], heap[1], heap[2], heapRows, heapValues!, rows.length, dim, factors(1));
    lazyAdam(table, m, v, rows, values, dim, factors(1));
    assert.deepEqual(bits(heap[0]), bits(table), "table");
    assert.deepEqual(bits(heap[1]), bits(m), "m");
    assert.deepEqual(bits(heap[2]), bits(v), "v");
  });
}

test("dense Adam's kernel writes the JavaScript loop's bits, an odd count's last value by the loop", () => {
  const rng = new Rng(5);
  const n = 1001;
  const w = random(rng, n, 0.2);
  const g = Float32Array.from({ length: n }, (_, i) => (i % 7 === 0 ? 0 : (rng.next() - 0.5) * 10 ** -(i % 5)));
  const m = random(rng, n, 0.01);
  const v = random(rng, n, 1e-4, true);
  const [hw, hg, hm, hv] = [w, g, m, v].map(onHeap).map((b) => b.floats);
  const heap = [hw!, hg!, hm!, hv!] as const;
  const kernels = adamKernelsFor(heap)!;
  const done = kernels.dense(heap[0], heap[1], heap[2], heap[3], factors(-1));
  assert.equal(done, 1000);
  denseAdam(heap[0], heap[1], heap[2], heap[3], factors(-1), done);
  denseAdam(w, g, m, v, factors(-1), 0);
  assert.deepEqual(bits(heap[0]), bits(w), "w");
  assert.deepEqual(bits(heap[2]), bits(m), "m");
  assert.deepEqual(bits(heap[3]), bits(v), "v");
});

test("arrays outside the wasm heap, or an odd row width, get no kernels", () => {
  const inHeap = onHeap(new Float32Array(8)).floats;
  assert.equal(adamKernelsFor([inHeap, new Float32Array(8)]), null);
  assert.equal(adamKernelsFor([inHeap], 3), null);
  assert.ok(adamKernelsFor([inHeap], 4) !== null);
});

test("touch reads a value in each cache line of each row of the three arrays (the sum of those values)", () => {
  for (const dim of [16, 40]) {
    const size = 20 * dim;
    const arrays = [1, 1000, 1_000_000].map((scale) => onHeap(Float32Array.from({ length: size }, (_, i) => (i % 7) * scale)));
    const rows = onHeap(Int32Array.from([3, 17]));
    const [a, b, c] = arrays.map((x) => x.floats);
    const kernels = adamKernelsFor([a!, b!, c!, rows.ints])!;
    if (dim === 16) {
      // Rows of one cache line each (the heap arrays start on one): one word per row and array, summed as int32.
      const words = [a!, b!, c!].map((x) => new Int32Array(x.buffer, x.byteOffset, x.length));
      const expected = [3, 17].reduce((sum, row) => (sum + words.reduce((s, w) => s + w[row * dim]!, 0)) | 0, 0);
      assert.equal(kernels.touch(a!, b!, c!, rows.ints, 2, dim), expected);
      continue;
    }
    // Values at byte 0, 64, 128, ... of each row, then its last value.
    const read = (row: number) => [...Array.from({ length: Math.ceil(dim / 16) }, (_, j) => row * dim + 16 * j), row * dim + dim - 1];
    const expected = [3, 17].flatMap(read).reduce((sum, i) => sum + a![i]! + b![i]! + c![i]!, 0);
    assert.equal(kernels.touch(a!, b!, c!, rows.ints, 2, dim), expected);
  }
});

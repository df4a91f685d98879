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
import { joinSlots, splitSlots } from "../../../src/runtime/graph/slot-rows.js";
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

/**
 * Lazy Adam as it was written before the slots were laid out per row (sparse-update.ts, with m and v
 * table-sized arrays of their own): the reference the per-row layout must reproduce bit for bit.
 */
function lazyAdamSeparateSlots(table: Float32Array, m: Float32Array, v: Float32Array, rows: Int32Array, values: Float32Array, dim: number, f: AdamFactors): void {
  const { beta1, c1, beta2, c2, rate, inverse2, epsilon } = f;
  for (let r = 0; r < rows.length; r++) {
    const base = rows[r]! * dim;
    const from = r * dim;
    for (let d = 0; d < dim; d++) {
      const at = base + d;
      const grad = values[from + d]!;
      const mNext = m[at]! * beta1 + grad * c1;
      const vNext = v[at]! * beta2 + grad * grad * c2;
      m[at] = mNext;
      v[at] = vNext;
      table[at] = table[at]! - (rate * mNext) / (Math.sqrt(vNext * inverse2) + epsilon);
    }
  }
}

for (const [dim, count] of [[2, 6], [6, 6], [16, 6], [16, 75], [40, 75]] as const) {
  test(`lazy Adam over per-row slots, the kernel and the JavaScript loop, write the bits of separate m and v arrays (dim ${dim}, ${count} rows in any order, one twice)`, () => {
    const rng = new Rng(dim + count);
    const tableRows = 120;
    const table = random(rng, tableRows * dim, 0.1);
    const m = random(rng, tableRows * dim, 0.01);
    const v = random(rng, tableRows * dim, 1e-4, true);
    const slots = new Float32Array(2 * tableRows * dim);
    joinSlots([m, v], slots, dim);
    // Many rows, or a few with one read twice.
    const rows = count === 6 ? Int32Array.from([7, 0, 119, 13, 7, 21]) : Int32Array.from({ length: count }, (_, i) => (i === 40 ? 3 : (i * 37) % tableRows));
    // Gradients across magnitudes, zeros among them.
    const values = Float32Array.from({ length: rows.length * dim }, (_, i) => (i % 5 === 0 ? 0 : (rng.next() - 0.5) * 10 ** -(i % 4)));
    const blocks = [onHeap(table), onHeap(slots), onHeap(rows), onHeap(values)];
    const [heapTable, heapSlots, , heapValues] = blocks.map((b) => b.floats);
    const heapRows = blocks[2]!.ints;
    const kernels = adamKernelsFor([heapTable!, heapSlots!, heapRows, heapValues!], dim);
    assert.ok(kernels !== null, "no kernels for arrays in the wasm heap");
    kernels.lazy(heapTable!, heapSlots!, heapRows, heapValues!, rows.length, dim, factors(1));
    const loopTable = table.slice();
    lazyAdam(loopTable, slots, rows, values, dim, factors(1));
    lazyAdamSeparateSlots(table, m, v, rows, values, dim, factors(1));
    for (const [what, [updated, perRow]] of Object.entries({ kernel: [heapTable!, heapSlots!], loop: [loopTable, slots] })) {
      const [splitM, splitV] = splitSlots(perRow!, 2, dim);
      assert.deepEqual(bits(updated!), bits(table), `${what}: table`);
      assert.deepEqual(bits(splitM!), bits(m), `${what}: m`);
      assert.deepEqual(bits(splitV!), bits(v), `${what}: v`);
    }
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

test("touch reads a value in each cache line of each row of the table and of its m and v (the sum of those values)", () => {
  for (const dim of [16, 40]) {
    const size = 20 * dim;
    const table = onHeap(Float32Array.from({ length: size }, (_, i) => (i % 7) * 1000));
    const slots = onHeap(Float32Array.from({ length: 2 * size }, (_, i) => i % 11));
    const rows = onHeap(Int32Array.from([3, 17]));
    const [a, s] = [table.floats, slots.floats];
    const kernels = adamKernelsFor([a, s, rows.ints])!;
    if (dim === 16) {
      // Rows of one cache line each (the heap arrays start on one): one word per row, m and v, summed as int32.
      const [wa, ws] = [a, s].map((x) => new Int32Array(x.buffer, x.byteOffset, x.length));
      const expected = [3, 17].reduce((sum, row) => (sum + wa![row * dim]! + ws![2 * row * dim]! + ws![(2 * row + 1) * dim]!) | 0, 0);
      assert.equal(kernels.touch(a, s, rows.ints, 2, dim), expected);
      continue;
    }
    // Values at byte 0, 64, 128, ... of each row, then its last value; a row of the slots is twice as long.
    const read = (row: number, width: number) => [...Array.from({ length: Math.ceil(width / 16) }, (_, j) => row * width + 16 * j), row * width + width - 1];
    const expected = [3, 17].reduce((sum, row) => sum + read(row, dim).reduce((t, i) => t + a[i]!, 0) + read(row, 2 * dim).reduce((t, i) => t + s[i]!, 0), 0);
    assert.equal(kernels.touch(a, s, rows.ints, 2, dim), expected);
  }
});

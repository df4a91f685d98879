/**
 * The embedding-row kernels (src/runtime/fused/table-kernels.ts) give the
 * JavaScript loops' bits: the gather copies as copy-rows.ts does, the sum
 * per table row equals tables.ts's loop (ids repeated, two lookups of one
 * table, a batch smaller than the capacity, the heap grown in between), an id
 * outside the table is refused, and a fused training step with them
 * (MTL_WASM_TABLES on) leaves every weight and slot as the loops do (off).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../../src/runtime/backend/select.js";
import { HeapArray } from "../../../src/runtime/backend/tensor-memory.js";
import { copyRows } from "../../../src/runtime/fused/copy-rows.js";
import { GatherStage } from "../../../src/runtime/fused/layers.js";
import { tableKernels } from "../../../src/runtime/fused/table-kernels.js";
import { TableParam } from "../../../src/runtime/fused/tables.js";
import type { RowGradients, SparseRule } from "../../../src/runtime/graph/sparse-update.js";
import { createTrainStep } from "../../../src/runtime/graph/train-step.js";
import { seededRandom } from "../../helpers/random.js";
import { bits, bitsOf, randomBatch, specFiles, specIR, twins } from "./fixtures.js";
import { compileSource } from "../../../src/compiler.js";
import { IdOutsideTableError } from "../../../src/runtime/table-ids.js";
import type { ValidIR } from "../../../src/ir/types.js";

before(async () => {
  await selectBackend("wasm");
});
after(() => {
  delete process.env["MTL_WASM_TABLES"];
  return selectBackend("cpu");
});

/** Floats of many magnitudes (so that a sum's order shows in its bits), some negative. */
function randomFloats(n: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length: n }, () => (random() - 0.5) * 10 ** Math.floor(random() * 6 - 3));
}

/** A heap array holding `values`. */
function inHeap(values: Float32Array | Int32Array): HeapArray {
  const block = HeapArray.create(values.length)!;
  if (values instanceof Float32Array) block.floats.set(values);
  else block.ints.set(values);
  return block;
}

test("the gather kernel copies the rows copy-rows.ts copies, and names the first id outside the table", () => {
  for (const dim of [4, 16, 32]) {
    const kernels = tableKernels(dim);
    assert.ok(kernels !== null, "the wasm backend runs the kernels");
    const tableRows = 50;
    const table = inHeap(randomFloats(tableRows * dim, dim));
    // 40 lookups (of a capacity of 64), ids repeated, into columns 8.. of rows of width dim + 12.
    const random = seededRandom(dim + 1);
    const ids = Int32Array.from({ length: 64 }, (_, r) => (r % 5 === 0 ? 7 : Math.floor(random() * tableRows)));
    const heapIds = inHeap(ids);
    const width = dim + 12;
    const target = inHeap(new Float32Array(64 * width).fill(-1));
    // Grow the heap after the blocks were made: the kernel takes addresses, the views are re-made.
    HeapArray.create(8 * 1024 * 1024);
    assert.equal(kernels.gather(table.address, heapIds.address, 40, target.address + 8 * 4, width * 4, dim * 4, tableRows), -1);
    const expected = new Float32Array(64 * width).fill(-1);
    copyRows({ array: table.floats, stride: dim, offset: 0 }, ids, 40, dim, { array: expected, stride: width, offset: 8 });
    assert.deepEqual(bits(target.floats), bits(expected), `dim ${dim}`);
    heapIds.ints[13] = tableRows;
    heapIds.ints[20] = -1;
    assert.equal(kernels.gather(table.address, heapIds.address, 40, target.address, width * 4, dim * 4, tableRows), 13);
  }
});

/** A rule that records the rows and summed gradients it is given. */
function recorder(): { rule: SparseRule; seen: RowGradients[] } {
  const seen: RowGradients[] = [];
  const rule: SparseRule = {
    slots: 0,
    initialSlot: 0,
    apply(_table, _slots, grad) {
      seen.push({ rows: grad.rows.slice(), values: grad.values.slice() });
    },
  };
  return { rule, seen };
}

test("the sum kernel gives tables.ts's rows and bits: repeated ids, two lookups, a smaller batch, a grown heap", () => {
  const dim = 16;
  const tableRows = 30;
  const capacity = 64;
  process.env["MTL_WASM_TABLES"] = "off";
  const loops = new TableParam("t", {} as tf.Variable, tableRows, dim, 2);
  loops.allocate(capacity);
  assert.equal(loops.summedInHeap, false);
  process.env["MTL_WASM_TABLES"] = "on";
  const kernel = new TableParam("t", {} as tf.Variable, tableRows, dim, 2);
  kernel.allocate(capacity);
  assert.ok(kernel.summedInHeap);
  const width = 2 * dim + 4;
  const { rule: loopRule, seen: loopSeen } = recorder();
  const { rule: kernelRule, seen: kernelSeen } = recorder();
  for (const [step, rows] of [[1, 64], [2, 40]] as const) {
    const random = seededRandom(step);
    // Ids from a third of the table: most repeat, within a lookup and across the two.
    const ids = [0, 1].map(() => Int32Array.from({ length: capacity }, () => Math.floor(random() * 10)));
    const grad = randomFloats(capacity * width, step + 10);
    const stagedGrad = inHeap(grad);
    const stagedIds = ids.map(inHeap);
    for (const lookup of [0, 1]) {
      const offset = 4 + lookup * dim;
      loops.accumulate(ids[lookup]!, grad, rows, width, offset);
      kernel.accumulateStaged(ids[lookup]!, stagedIds[lookup]!.address, stagedGrad.address + offset * 4, rows, width * 4);
      HeapArray.create(4 * 1024 * 1024); // the heap may grow between lookups
    }
    loops.update(loopRule, new Float32Array(0), step);
    kernel.update(kernelRule, new Float32Array(0), step);
  }
  assert.equal(kernelSeen.length, 2);
  for (const [i, seen] of kernelSeen.entries()) {
    assert.deepEqual([...seen.rows], [...loopSeen[i]!.rows]);
    assert.deepEqual(bits(seen.values), bits(loopSeen[i]!.values));
  }
  // An id outside the table is refused, and the step after starts from no rows.
  const ids = Int32Array.from({ length: capacity }, (_, r) => (r === 5 ? tableRows : r % 3));
  const grad = inHeap(randomFloats(capacity * dim, 3));
  assert.throws(() => kernel.accumulateStaged(ids, inHeap(ids).address, grad.address, capacity, dim * 4), /30/);
  const fresh = Int32Array.from({ length: 4 }, () => 2);
  kernel.accumulateStaged(fresh, inHeap(fresh).address, grad.address, 4, dim * 4);
  kernel.update(kernelRule, new Float32Array(0), 3);
  assert.deepEqual([...kernelSeen[2]!.rows], [2]);
});

/** Lookups of dims 4, 16 and 8 (both gather kernels) filling one concatenation. */
const MIXED = `model mixed "mixed lookups"
feature user_id : categorical(buckets: 300, dim: 4)
feature item_id : categorical(buckets: 500, dim: 16)
feature shop_id : categorical(buckets: 40, dim: 8)
input x = concat(*)
tower t = mlp(x, [8])
task ctr : binary = t label click
train {
  optimizer: adam(lr: 0.01)
  batch: 32
  epochs: 1
  seed: 3
}
`;

/** Runs batches of `sizes` on twin steps of `ir`, the kernels on and off; asserts equal losses and state bits; returns the stages' choices. */
async function compareSteps(ir: ValidIR, sizes: readonly number[]): Promise<boolean[]> {
  const [a, b] = twins(ir);
  const staged: boolean[] = [];
  const begin = GatherStage.prototype.begin;
  GatherStage.prototype.begin = function (this: GatherStage) {
    const on = begin.call(this);
    staged.push(on);
    return on;
  };
  try {
    process.env["MTL_WASM_TABLES"] = "on";
    const withKernels = createTrainStep(a, { fused: true });
    const withLoops = createTrainStep(b, { fused: true });
    // A batch smaller than the first (the capacity), and the heap grown between steps.
    for (const [seed, size] of sizes.entries()) {
      const batch = randomBatch(ir, size, seed + 1);
      process.env["MTL_WASM_TABLES"] = "on";
      const loss = withKernels.runEncoded!(batch).total;
      process.env["MTL_WASM_TABLES"] = "off";
      assert.equal(withLoops.runEncoded!(batch).total, loss);
      HeapArray.create(16 * 1024 * 1024);
    }
    const expected = bitsOf(await withLoops.exportState());
    const actual = bitsOf(await withKernels.exportState());
    assert.deepEqual(Object.keys(actual), Object.keys(expected));
    for (const [key, values] of Object.entries(expected)) assert.deepEqual(actual[key], values, key);
    withKernels.dispose();
    withLoops.dispose();
  } finally {
    GatherStage.prototype.begin = begin;
  }
  return staged;
}

test("a fused step with the table kernels writes the loops' bits, batch after batch", async () => {
  const ir = specIR(specFiles().find((s) => s.name === "bench/train/specs/recsys-esmm.mtl")!.path);
  const staged = await compareSteps(ir, [64, 64, 40, 64]);
  // One stage (the 26 lookups fill the concatenation), on in the kernels' steps only.
  assert.deepEqual(staged, [true, false, true, false, true, false, true, false]);
});

test("lookups of different widths share a stage; a width the kernels do not cover keeps the loops", async () => {
  const compiled = compileSource(MIXED, "mixed.mtl");
  assert.ok(compiled.ir !== undefined);
  assert.deepEqual(await compareSteps(compiled.ir, [48, 48, 20]), [true, false, true, false, true, false]);
  const odd = compileSource(MIXED.replace("dim: 8", "dim: 6"), "odd.mtl");
  assert.ok(odd.ir !== undefined);
  assert.deepEqual(await compareSteps(odd.ir, [48, 20]), [false, false, false, false]);
});

test("an id outside its table is refused through the kernels with the loops' message, and the weights stay as they were", async () => {
  const ir = specIR(specFiles().find((s) => s.name === "bench/train/specs/recsys-esmm.mtl")!.path);
  const good = randomBatch(ir, 64, 9);
  const rows = ir.tables[0]!.rows;
  // Two bad ids, the later lookup's (item3) in an earlier row: both name the one the loops find first (user9's).
  const bad = { ...good, features: { ...good.features } };
  for (const [feature, row, id] of [["item3", 2, rows], ["user9", 7, -1]] as const) {
    const ids = Int32Array.from(bad.features[feature] as Int32Array);
    ids[row] = id;
    bad.features[feature] = ids;
  }
  const messages: string[] = [];
  const states: Record<string, number[]>[] = [];
  for (const setting of ["on", "off"]) {
    process.env["MTL_WASM_TABLES"] = setting;
    const step = createTrainStep(twins(ir)[0], { fused: true });
    assert.throws(
      () => step.runEncoded!(bad),
      (error: unknown) => {
        assert.ok(error instanceof IdOutsideTableError, String(error));
        messages.push(error.message);
        return true;
      },
    );
    step.runEncoded!(good);
    states.push(bitsOf(await step.exportState()));
    step.dispose();
  }
  assert.equal(messages[0], messages[1]);
  assert.match(messages[0]!, /feature 'user9' has the id -1/);
  assert.deepEqual(states[0], states[1]);
});

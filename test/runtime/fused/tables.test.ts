/**
 * TableParam (src/runtime/fused/tables.ts): a step's lookups' gradients are
 * summed per distinct table row, in first-seen order, read from a column
 * block of a wider gradient; the update sees exactly those rows, and the next step starts
 * from none.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type * as tf from "@tensorflow/tfjs";
import { TableParam } from "../../../src/runtime/fused/tables.js";
import type { RowGradients, SparseRule } from "../../../src/runtime/graph/sparse-update.js";
import { seededRandom } from "../../helpers/random.js";

/** A rule that records what it is asked to apply. */
function recorder(): { rule: SparseRule; seen: { rows: number[]; values: number[]; step: number }[] } {
  const seen: { rows: number[]; values: number[]; step: number }[] = [];
  const rule: SparseRule = {
    slots: 0,
    initialSlot: 0,
    apply(_table, _slots, grad: RowGradients, _dim, step) {
      seen.push({ rows: [...grad.rows], values: [...grad.values], step });
    },
  };
  return { rule, seen };
}

test("gradients are summed per distinct row, first seen first, from a column block", () => {
  const dim = 2;
  const table = new TableParam("t", {} as tf.Variable, 5, dim, 2);
  table.allocate(4);
  // Rows of a [4, 5] gradient whose columns 1..2 are this lookup's.
  const stride = 5;
  const grad = new Float32Array(4 * stride);
  const rowGrad = (r: number, a: number, b: number) => {
    grad[r * stride + 1] = a;
    grad[r * stride + 2] = b;
  };
  rowGrad(0, 1, 2);
  rowGrad(1, 10, 20);
  rowGrad(2, 100, 200);
  rowGrad(3, 1000, 2000);
  // ids 3, 0, 3 again, 4 (ids outside the table are refused: test/runtime/table-ids.test.ts).
  table.accumulate(Int32Array.from([3, 0, 3, 4]), grad, 4, stride, 1);
  // A second lookup of the same table: ids 4 (seen), 2 (new), rows 0..1 only.
  table.accumulate(Int32Array.from([4, 2, 0, 0]), grad, 2, stride, 1);
  const { rule, seen } = recorder();
  table.update(rule, new Float32Array(0), 7);
  assert.deepEqual(seen, [{ rows: [3, 0, 4, 2], values: [101, 202, 10, 20, 1001, 2002, 10, 20], step: 7 }]);
});

test("after an update the next step's rows start from none; every row of a table can be read in one step", () => {
  const rows = 300;
  const table = new TableParam("t", {} as tf.Variable, rows, 1, 1);
  table.allocate(rows);
  const ids = Int32Array.from({ length: rows }, (_, i) => (i * 7919) % rows);
  const grad = Float32Array.from({ length: rows }, (_, i) => i);
  const { rule, seen } = recorder();
  table.accumulate(ids, grad, rows, 1, 0);
  table.update(rule, new Float32Array(0), 1);
  assert.deepEqual(seen[0]!.rows, [...ids]);
  assert.deepEqual(seen[0]!.values, [...grad]);
  table.accumulate(Int32Array.from([5, 5]), Float32Array.from([1, 2]), 2, 1, 0);
  table.update(rule, new Float32Array(0), 2);
  assert.deepEqual(seen[1], { rows: [5], values: [3], step: 2 });
});

test("the summed rows are those of adding row by row in batch order, bit for bit, over lookups with repeats", () => {
  for (const [dim, stride, offset] of [
    [16, 416, 32],
    [3, 11, 5],
  ] as const) {
    const [tableRows, batchRows] = [40, 300];
    const table = new TableParam("t", {} as tf.Variable, tableRows, dim, 2);
    table.allocate(batchRows);
    const random = seededRandom(dim);
    // Gradients of every magnitude, so that a different order of additions would round differently.
    const grad = Float32Array.from({ length: batchRows * stride }, () => (random() - 0.5) * 10 ** Math.floor(random() * 8 - 4));
    const lookups = [0, 1].map(() => Int32Array.from({ length: batchRows }, () => Math.floor(random() * tableRows)));
    // The reference: a float32 sum per table row, first seen first.
    const sums = new Map<number, Float32Array>();
    for (const ids of lookups) {
      ids.forEach((id, r) => {
        const from = r * stride + offset;
        const sum = sums.get(id);
        if (sum === undefined) sums.set(id, grad.slice(from, from + dim));
        else for (let d = 0; d < dim; d++) sum[d] = sum[d]! + grad[from + d]!;
      });
      table.accumulate(ids, grad, batchRows, stride, offset);
    }
    const { rule, seen } = recorder();
    table.update(rule, new Float32Array(0), 1);
    assert.deepEqual(seen[0]!.rows, [...sums.keys()], `dim ${dim}: rows`);
    assert.deepEqual(Float32Array.from(seen[0]!.values), Float32Array.from([...sums.values()].flatMap((s) => [...s])), `dim ${dim}: sums`);
  }
});

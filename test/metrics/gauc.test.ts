import { test } from "node:test";
import assert from "node:assert/strict";
import { groupedAuc, TaskMetricAccumulator } from "../../src/metrics/index.js";
import { Rng } from "../../src/util/random.js";
import { referenceGauc } from "../helpers/gauc-reference.js";

test("GAUC by hand: two groups with ties, one single-class group left out and counted", () => {
  // Group 0: scores 0.8(+) 0.5(-) 0.5(+) 0.2(-): pairs (0.8,0.5)=1 (0.8,0.2)=1 (0.5,0.5)=0.5 (0.5,0.2)=1 -> 3.5/4.
  // Group 1: 0.3(+) 0.6(-): 0/1. Group 2: all negative -> left out.
  const s = [0.8, 0.5, 0.5, 0.2, 0.3, 0.6, 0.9, 0.1];
  const y = [1, 0, 1, 0, 1, 0, 0, 0];
  const g = [0, 0, 0, 0, 1, 1, 2, 2];
  const r = groupedAuc(Float64Array.from(s), Float64Array.from(y), Uint32Array.from(g));
  assert.deepEqual(r, { gauc: (4 * 0.875 + 2 * 0) / 6, groups: 3, skippedGroups: 1, rows: 6 });
});

test("GAUC equals the pairwise reference on random data with many ties and interleaved groups", () => {
  const rng = new Rng(5);
  for (let trial = 0; trial < 20; trial++) {
    const n = 1 + rng.int(300);
    const groups = 1 + rng.int(30);
    const s = Array.from({ length: n }, () => rng.int(5) / 4); // five distinct scores: ties everywhere
    const y = Array.from({ length: n }, () => rng.bernoulli(0.3));
    const g = Array.from({ length: n }, () => rng.int(groups));
    const expected = referenceGauc(s.map((score, i) => ({ group: g[i]!, s: score, y: y[i]! })));
    const actual = groupedAuc(Float64Array.from(s), Float64Array.from(y), Uint32Array.from(g));
    assert.equal(actual.groups, expected.groups);
    assert.equal(actual.skippedGroups, expected.skippedGroups);
    assert.equal(actual.rows, expected.rows);
    if (Number.isNaN(expected.gauc)) assert.ok(Number.isNaN(actual.gauc));
    else assert.ok(Math.abs(actual.gauc - expected.gauc) < 1e-12, `trial ${trial}: ${actual.gauc} vs ${expected.gauc}`);
  }
});

test("GAUC is NaN, not 0.5, when every group holds one class", () => {
  const r = groupedAuc(Float64Array.from([0.1, 0.9]), Float64Array.from([1, 0]), Uint32Array.from([0, 1]));
  assert.ok(Number.isNaN(r.gauc));
  assert.equal(r.skippedGroups, 2);
});

test("the accumulator computes GAUC under the task's mask only, batch by batch", () => {
  const acc = new TaskMetricAccumulator("binary", 1, { grouped: true });
  // Masked-out rows would turn group 1 into a two-class group and change group 0's AUC.
  acc.add([0.9, 0.1, 0.7, 0.2], [1, 0, 0, 1], [1, 1, 0, 0], [0, 0, 0, 1]);
  acc.add([0.4, 0.6], [0, 1], [1, 0], [1, 1]);
  const m = acc.compute();
  assert.equal(m.type, "binary");
  // Kept: group 0 = (0.9,+) (0.1,-) -> AUC 1; group 1 = (0.4,-) only -> left out.
  assert.equal(m.gauc, 1);
  assert.equal(m.gaucGroups, 2);
  assert.equal(m.gaucSkippedGroups, 1);
  assert.equal(m.gaucRows, 2);
});

test("an accumulator without groups reports no GAUC, and refuses groups it did not ask for", () => {
  const acc = new TaskMetricAccumulator("binary");
  acc.add([0.9, 0.1], [1, 0]);
  assert.equal(acc.compute().gauc, undefined);
  assert.throws(() => acc.add([0.5], [1], undefined, [0]), /groups are needed exactly when/);
  const grouped = new TaskMetricAccumulator("binary", 1, { grouped: true });
  assert.throws(() => grouped.add([0.5], [1]), /groups are needed exactly when/);
  assert.throws(() => grouped.add([0.5], [1], undefined, [-1]), /group must be a whole number >= 0, got -1 at batch row 0/);
  assert.equal(grouped.count, 0, "nothing of a refused batch is kept");
});

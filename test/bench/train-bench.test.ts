/**
 * Keeps the training benchmark (bench/train) from rotting: its specs compile
 * to the shapes, and a --quick run of the mtl side alone produces a
 * finite positive figure for every workload and lists each in the table.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { runBench } from "../../bench/train/harness.js";
import { parseOptions } from "../../bench/train/options.js";
import { peerShape } from "../../bench/train/peer-shape.js";
import { formatReport, workloadRows } from "../../bench/train/report.js";
import { compileSpec, workloadSpec } from "../../bench/train/spec-source.js";
import { findTorchPython, TORCH_MISSING_HINT } from "../../bench/train/torch-peer.js";
import { SERVING_SIZES, WORKLOADS, workloadById } from "../../bench/train/workloads.js";

test("the workload specs compile to the shapes of issue #6", () => {
  const shape = (id: Parameters<typeof workloadById>[0]) => {
    const workload = workloadById(id);
    return peerShape(compileSpec(workloadSpec(workload, false)), workload.architecture, SERVING_SIZES);
  };
  const mmoe = {
    architecture: "mmoe",
    experts: 8,
    expertUnits: [256, 128],
    towerUnits: [64],
    tasks: 2,
    batch: 1024,
    lr: 0.001,
  };
  const recsysInputs = { numeric: 0, categorical: { count: 26, buckets: 100_000, dim: 16 }, userFeatures: 13 };
  const dense = shape("dense-mmoe");
  assert.deepEqual([dense.numeric, dense.categorical.count], [64, 0]);
  assert.deepEqual(pick(dense, mmoe), mmoe);
  const recsys = shape("recsys-mmoe");
  assert.deepEqual(pick(recsys, { ...mmoe, ...recsysInputs }), { ...mmoe, ...recsysInputs });
  const esmm = {
    architecture: "esmm",
    experts: 0,
    towerUnits: [256, 128, 64],
    batch: 1024,
    lr: 0.001,
    ...recsysInputs,
  };
  assert.deepEqual(pick(shape("recsys-esmm"), esmm), esmm);
});

/** The fields of `from` that `like` has. */
function pick(from: object, like: object): object {
  return Object.fromEntries(Object.keys(like).map((k) => [k, (from as Record<string, unknown>)[k]]));
}

test("without torch the report says so and how to get it", () => {
  assert.equal(findTorchPython("/nonexistent/python3").found, false);
  const report = formatReport({
    startedAt: "",
    options: parseOptions([])!,
    machine: { cpu: "cpu", cores: 2, loadBefore: 0, loadAfter: 0, node: "v20" },
    mtl: {},
    peer: { status: "missing", detail: `PyTorch peer not found (${TORCH_MISSING_HINT}); mtl figures alone.` },
    workloads: [],
  });
  assert.match(report, /PyTorch peer not found \(install python3-torch: apt-get install python3-torch\)/);
  assert.doesNotMatch(report, /mtl\/PyTorch \|/);
});

test("--quick shrinks the specs but explicit options win", () => {
  const options = parseOptions(["--rounds", "3", "--quick", "--workloads", "serving,dense-mmoe"])!;
  assert.equal(options.quick, true);
  assert.equal(options.rounds, 3);
  assert.equal(options.steps, 1);
  assert.deepEqual(options.workloads, ["serving", "dense-mmoe"]);
  const ir = compileSpec(workloadSpec(workloadById("recsys-mmoe"), true));
  assert.ok(ir.tables.every((t) => t.rows === 1000));
  assert.equal(ir.train.batch, 128);
  assert.throws(() => parseOptions(["--workloads", "nope"]), /unknown workload 'nope'/);
});

test(
  "a --quick run of the mtl side gives a finite positive figure for every workload",
  { timeout: 180_000 },
  async () => {
    const options = parseOptions(["--quick", "--no-torch"])!;
    const result = await runBench(options, () => undefined);
    assert.equal(result.peer.status, "disabled");
    assert.deepEqual(
      result.workloads.map((w) => w.id),
      WORKLOADS.map((w) => w.id),
    );
    for (const workload of result.workloads) {
      assert.equal(workload.mtl.error, undefined, `${workload.id}: ${workload.mtl.error}`);
      assert.equal(workload.torch, null);
      for (const row of workloadRows(workload)) {
        assert.ok(Number.isFinite(row.mtl) && row.mtl > 0, `${workload.id} ${row.metric}: ${row.mtl}`);
      }
      assert.ok((workload.mtl.peakRssBytes ?? 0) > 0, `${workload.id}: no peak memory`);
    }
    const report = formatReport(result);
    for (const workload of WORKLOADS) assert.match(report, new RegExp(`^\\| ${workload.title} `, "m"), workload.title);
    assert.match(report, /PyTorch peer not run/);
  },
);

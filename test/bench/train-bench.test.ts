/**
 * Keeps the training benchmark (bench/train) from rotting: its specs compile
 * to the shapes, and a --quick run of the mtl side alone produces a
 * finite positive figure for every workload and lists each in the table.
 */
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import { runBench } from "../../bench/train/harness.js";
import { parseOptions } from "../../bench/train/options.js";
import { trainingFlopsPerRow } from "../../bench/train/flops.js";
import { peerShape } from "../../bench/train/peer-shape.js";
import { formatReport, workloadRows } from "../../bench/train/report.js";
import { compileSpec, workloadSpec } from "../../bench/train/spec-source.js";
import { findTorchPython, TORCH_MISSING_HINT } from "../../bench/train/torch-peer.js";
import { torchOrSkip } from "../codegen/torch/torch-helpers.js";
import { SERVING_SIZES, SGEMM_LIMIT_SHAPE, targetAt, WORKLOADS, workloadById } from "../../bench/train/workloads.js";
import { median } from "../../bench/train/stats.js";
import { loadNativeBlas } from "../../src/runtime/backend/blas/native-blas.js";
import { availableCores } from "../../src/runtime/parallel/cores.js";

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
  // Issue #16: the MMoE synthetic experiment's model at batch 64, two MSE regression tasks.
  const synthetic = { architecture: "mmoe", numeric: 100, experts: 8, expertUnits: [16], towerUnits: [8], tasks: 2, loss: "mse", batch: 64 };
  assert.deepEqual(pick(shape("synthetic-mmoe"), synthetic), synthetic);
  assert.equal(shape("recsys-mmoe").loss, "bce");
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
    machine: { cpu: "cpu", cores: 2, loadBefore: 0, loadAfter: 0, node: "v20", openblasEnv: {} },
    mtl: {},
    peer: { status: "missing", detail: `PyTorch peer not found (${TORCH_MISSING_HINT}); mtl figures alone.` },
    limit: { status: "unmeasured", shape: SGEMM_LIMIT_SHAPE, threads: 1, detail: "machine limit not measured: it is timed through the PyTorch peer" },
    workloads: [],
  });
  assert.match(report, /PyTorch peer not found \(install python3-torch: apt-get install python3-torch\)/);
  assert.doesNotMatch(report, /mtl\/best PyTorch/);
  assert.match(report, /machine limit not measured/);
});

test("a run on a machine busier than its cores says its multi-thread ratios are not a measurement", () => {
  const busy = (threads: string, openblasEnv: Record<string, string> = {}) =>
    formatReport({
      startedAt: "",
      options: parseOptions(["--threads", threads])!,
      machine: { cpu: "cpu", cores: 2, loadBefore: 5, loadAfter: 1, node: "v20", openblasEnv },
      mtl: {},
      peer: { status: "disabled", detail: "PyTorch peer not run (--no-torch): mtl figures alone" },
      limit: { status: "unmeasured", shape: SGEMM_LIMIT_SHAPE, threads: 1 },
      workloads: [],
    });
  assert.match(busy("1,2"), /load \(5\.0\) exceeded its 2 cores: .* not a measurement; rerun on a quiet machine/);
  assert.doesNotMatch(busy("1"), /exceeded its 2 cores/);
  // The limit and both sides' products depend on the kernels OpenBLAS runs: an environment that forces them says so.
  assert.doesNotMatch(busy("1"), /OpenBLAS settings/);
  assert.match(busy("1", { OPENBLAS_CORETYPE: "Haswell", OPENBLAS_L2_SIZE: "512" }), /OpenBLAS settings from the environment, for both sides and the limit: OPENBLAS_CORETYPE=Haswell, OPENBLAS_L2_SIZE=512 \(OPENBLAS_CORETYPE forces/);
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
    // One thread: the test below runs both thread counts on one workload.
    const options = parseOptions(["--quick", "--no-torch", "--threads", "1"])!;
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

test("--threads takes thread counts, one and the cores available by default", () => {
  assert.deepEqual(parseOptions([])!.threads, [...new Set([1, availableCores()])]);
  assert.deepEqual(parseOptions(["--threads", "2,1,2"])!.threads, [2, 1]);
  assert.throws(() => parseOptions(["--threads", "0"]), /--threads needs an integer >= 1, got '0'/);
  assert.throws(() => parseOptions(["--threads", ","]), /at least one thread count/);
  assert.throws(() => parseOptions(["--threads", "5000"]), /from 1 to 1024/);
});

test(
  "every workload runs at each thread count, mtl's BLAS on that many threads, each count in its own table",
  { timeout: 120_000 },
  async () => {
    const result = await runBench(parseOptions(["--quick", "--no-torch", "--threads", "1,2", "--workloads", "dense-mmoe"])!, () => undefined);
    assert.deepEqual(result.workloads.map((w) => [w.id, w.threads]), [["dense-mmoe", 1], ["dense-mmoe", 2]]);
    // With OpenBLAS the mtl child computes its products on the threads asked for; without it, on the wasm backend's one.
    const blas = loadNativeBlas({ MTL_BLAS_THREADS: "1" }).blas !== null;
    for (const w of result.workloads) {
      assert.equal(w.mtl.error, undefined, w.mtl.error);
      assert.equal(w.mtl.threads, blas ? w.threads : 1);
      assert.ok(median(w.mtl.roundRowsPerSec) > 0);
    }
    assert.deepEqual(result.workloads.map((w) => w.target), [{ rowsRatioAtLeast: 1 }, { rowsRatioAtLeast: 1 }]);
    const report = formatReport(result);
    const one = report.indexOf("### 1 thread ");
    const two = report.indexOf("### 2 threads ");
    assert.ok(one >= 0 && two > one, report);
    assert.equal(report.slice(one, two).match(/^\| dense-MMoE /gm)?.length, 1);
    assert.equal(report.slice(two).match(/^\| dense-MMoE /gm)?.length, 1);
  },
);

test("blas-threads.js times paired steps on 1 and N OpenBLAS threads in one process", { timeout: 120_000 }, (t) => {
  const found = loadNativeBlas({ MTL_BLAS_THREADS: "1" });
  if (found.blas === null) return t.skip(found.why);
  const script = fileURLToPath(new URL("../../bench/train/blas-threads.js", import.meta.url));
  const run = spawnSync(process.execPath, [script, "--quick", "--pairs", "2", "--threads", "2", "--workloads", "dense-mmoe,serving"], { encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  const line = /^dense-MMoE: median step ([\d.]+) ms on 1 thread, ([\d.]+) ms on 2; paired speed-up ([\d.]+) \(2 pairs\)$/m.exec(run.stdout);
  assert.ok(line !== null, run.stdout);
  assert.ok(line.slice(1).every((x) => Number(x) > 0), run.stdout);
  assert.doesNotMatch(run.stdout, /serving/, "serving has no training step to time");
});

test("at more than one thread every training workload's target is 1.0 (issue #17); serving keeps its own", () => {
  assert.deepEqual(targetAt(workloadById("recsys-mmoe"), 1), { rowsRatioAtLeast: 1.25 });
  assert.deepEqual(targetAt(workloadById("recsys-mmoe"), 2), { rowsRatioAtLeast: 1 });
  assert.deepEqual(targetAt(workloadById("serving"), 4), { latencyRatioAtMost: 1 });
});

test("training flops per row count every Linear forward and backward (flops.ts)", () => {
  const shape = (id: Parameters<typeof workloadById>[0]) => {
    const workload = workloadById(id);
    return peerShape(compileSpec(workloadSpec(workload, false)), workload.architecture, SERVING_SIZES);
  };
  // recsys-MMoE: input 26 x 16 = 416 wide, with embeddings to update: 6 flops per weight everywhere.
  const recsys = 6 * (8 * (416 * 256 + 256 * 128) + 2 * 416 * 8 + 2 * 8 * 128 + 2 * 128 * 64 + 2 * 64 * 1);
  assert.equal(trainingFlopsPerRow(shape("recsys-mmoe")), recsys);
  // dense-MMoE: 64 numeric inputs need no gradient, so the layers reading them cost 4 per weight.
  const dense =
    4 * (8 * 64 * 256 + 2 * 64 * 8) + 6 * (8 * 256 * 128 + 2 * 8 * 128 + 2 * 128 * 64 + 2 * 64 * 1);
  assert.equal(trainingFlopsPerRow(shape("dense-mmoe")), dense);
  const esmm = 6 * 2 * (416 * 256 + 256 * 128 + 128 * 64 + 64 * 1);
  assert.equal(trainingFlopsPerRow(shape("recsys-esmm")), esmm);
  const synthetic = 4 * (8 * 100 * 16 + 2 * 100 * 8) + 6 * (2 * 8 * 16 + 2 * 16 * 8 + 2 * 8 * 1);
  assert.equal(trainingFlopsPerRow(shape("synthetic-mmoe")), synthetic);
});

test("ratios are against the better PyTorch form, and speed is a fraction of the sgemm limit", () => {
  const side = (label: "mtl" | "PyTorch" | "PyTorch sparse", rowsPerSec: number, rss: number) => ({
    label,
    roundRowsPerSec: [rowsPerSec],
    latencyMs: [],
    peakRssBytes: rss,
  });
  const workload = {
    id: "recsys-mmoe",
    threads: 1,
    title: "recsys-MMoE",
    kind: "train" as const,
    target: { rowsRatioAtLeast: 1 },
    batch: 1024,
    flopsPerRow: 1e6,
    mtl: side("mtl", 3000, 1),
    torch: side("PyTorch", 2000, 2),
    torchSparse: side("PyTorch sparse", 4000, 3),
  };
  const [row] = workloadRows(workload, 10);
  assert.equal(row!.best, 4000);
  assert.equal(row!.ratio, 0.75);
  assert.equal(row!.ratioDefault, 1.5);
  assert.equal(row!.met, false);
  assert.equal(row!.mtlOfLimit, 0.3); // 3000 rows/s x 1 Mflop over 10 GFLOP/s
  assert.equal(row!.bestOfLimit, 0.4);
  assert.equal(row!.torchRss, 3, "the best form's memory");
  // The default form wins when it is faster; a workload without tables has the default alone.
  const [dense] = workloadRows({ ...workload, torch: side("PyTorch", 5000, 2), torchSparse: null }, NaN);
  assert.equal(dense!.best, 5000);
  assert.ok(Number.isNaN(dense!.torchSparse) && Number.isNaN(dense!.mtlOfLimit!));
});

test("a --quick run with the peer on two threads reports both PyTorch forms, the intra-op threads each chose, and the machine limit", { timeout: 180_000 }, async (t) => {
  if (torchOrSkip(t) === null) return;
  const options = parseOptions(["--quick", "--threads", "2", "--workloads", "dense-mmoe,recsys-mmoe"])!;
  const result = await runBench(options, () => undefined);
  assert.equal(result.limit.status, "measured");
  assert.ok(result.limit.gflops! > 0.1, `limit ${result.limit.gflops}`);
  const [dense, recsys] = result.workloads;
  assert.equal(dense!.torchSparse, null, "no tables: the default form is the only one");
  for (const side of [recsys!.torch, recsys!.torchSparse]) {
    assert.equal(side?.error, undefined, side?.error);
    // The faster of torch's 2 intra-op threads and 1 (the BLAS on 2 either way): torch_peer.py choose_threads.
    const tried = side!.threadChoiceMs!;
    assert.deepEqual(Object.keys(tried).sort(), ["1", "2"], `${side!.label} tried`);
    assert.equal(side!.threads, tried["1"]! <= tried["2"]! ? 1 : 2, `${side!.label} threads`);
    assert.ok(side!.roundRowsPerSec.every((x) => Number.isFinite(x) && x > 0), side!.label);
  }
  const [row] = workloadRows(recsys!, 2 * result.limit.gflops!);
  assert.ok(row!.mtlOfLimit! > 0 && row!.mtlOfLimit! < 1, `mtl at ${row!.mtlOfLimit} of the limit`);
  const report = formatReport(result);
  assert.match(report, /machine limit: [\d.]+ GFLOP\/s/);
  assert.match(report, /### 2 threads \(mtl: .*; PyTorch: [12](\/2)? intra-op thread\(s\) \(per workload and form: dense-MMoE [12], recsys-MMoE [12], recsys-MMoE sparse [12]\)\)/);
  assert.match(report, /\| dense-MMoE +\| .*\(= default\)/);
});

/**
 * Runs the selected workloads, mtl and the PyTorch peer side by side: per
 * workload one mtl child and one PyTorch child, set up on the same compiled
 * spec, then warm-up and rounds that alternate between them (and alternate
 * who goes first), so a change in machine load hits both alike.
 */
import { cpus, loadavg } from "node:os";
import type { ValidIR } from "../../src/ir/types.js";
import { ProtocolChild } from "./child.js";
import { trainingFlopsPerRow } from "./flops.js";
import type { BenchOptions } from "./options.js";
import { mtlChildScript } from "./paths.js";
import { peerShape, type PeerShape } from "./peer-shape.js";
import type { PeerForm } from "./protocol.js";
import { Side, type SideFigures } from "./side.js";
import { servingRounds, trainRounds, unitsPerRound } from "./rounds.js";
import { compileSpec, workloadSpec } from "./spec-source.js";
import { findTorchPython, startTorchPeer, TORCH_MISSING_HINT } from "./torch-peer.js";
import { QUICK_SERVING_SIZES, SERVING_SIZES, SGEMM_LIMIT_SHAPE, targetAt, workloadById, type ServingSizes, type Workload } from "./workloads.js";

/** Seeds the weights and the random batches of both sides. */
const SEED = 7;

export interface WorkloadResult {
  id: string;
  /** The thread count both sides were given (options.threads); each side's own count is in its figures. */
  threads: number;
  title: string;
  kind: "train" | "serve";
  target: Workload["target"];
  /** Training rows per step (the spec's batch). */
  batch?: number;
  serving?: ServingSizes;
  /** Forward + backward flops of one training row (flops.ts); training workloads whose spec the peer implements. */
  flopsPerRow?: number;
  mtl: SideFigures;
  /** The peer's library-default form; null when the peer did not run at all. */
  torch: SideFigures | null;
  /** The peer's best-practice form (sparse embeddings + SparseAdam; serving: a request's user columns computed once); null where it is the default form (no tables; serving other than an MMoE over categorical features). */
  torchSparse: SideFigures | null;
}

/** One-thread sgemm speed: the machine's limit the training figures are a fraction of. */
export interface MachineLimit {
  status: "measured" | "unmeasured";
  /** [m, k, n] of the product timed. */
  shape: readonly [number, number, number];
  threads: number;
  gflops?: number;
  /** Why there is no figure. */
  detail?: string;
}

export interface PeerStatus {
  status: "ran" | "disabled" | "missing";
  /** One line for the report. */
  detail: string;
  python?: string;
  torch?: string;
  blas?: string | null;
}

export interface BenchResult {
  startedAt: string;
  options: BenchOptions;
  machine: {
    cpu: string;
    cores: number;
    loadBefore: number;
    loadAfter: number;
    node: string;
    /** OPENBLAS_* variables of the environment, which both sides' children inherit: OPENBLAS_CORETYPE picks the kernels, and so the limit. */
    openblasEnv: Record<string, string>;
  };
  mtl: { backend?: unknown; tfjs?: unknown; matmul?: unknown };
  peer: PeerStatus;
  limit: MachineLimit;
  workloads: WorkloadResult[];
}

export type Log = (line: string) => void;

export async function runBench(options: BenchOptions, log: Log): Promise<BenchResult> {
  const loadBefore = loadavg()[0]!;
  const startedAt = new Date().toISOString();
  const peer = findPeer(options);
  log(peer.status === "ran" ? `PyTorch peer: ${peer.detail}` : peer.detail);
  const result: BenchResult = {
    startedAt,
    options,
    machine: {
      cpu: cpus()[0]?.model ?? "unknown",
      cores: cpus().length,
      loadBefore,
      loadAfter: NaN,
      node: process.version,
      openblasEnv: Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[0].startsWith("OPENBLAS_") && e[1] !== undefined)),
    },
    mtl: {},
    peer,
    limit: { status: "unmeasured", shape: SGEMM_LIMIT_SHAPE, threads: LIMIT_THREADS },
    workloads: [],
  };
  result.limit = await measureLimit(options, peer);
  if (result.limit.gflops !== undefined)
    log(`machine limit: ${result.limit.gflops.toFixed(1)} GFLOP/s sgemm ${result.limit.shape.join("x")}, ${LIMIT_THREADS} thread`);
  for (const threads of options.threads) {
    for (const id of options.workloads) {
      result.workloads.push(await runWorkload(workloadById(id), threads, options, result, log));
    }
  }
  result.machine.loadAfter = loadavg()[0]!;
  return result;
}

/** The limit is one thread's; at n threads a workload is measured against n times it. */
const LIMIT_THREADS = 1;
const LIMIT_SECONDS = 2;

/**
 * Times torch.mm in a PyTorch child: the same OpenBLAS both sides' matrix
 * products run on (mtl's through koffi), so the fraction of it a side reaches
 * is what its kernels around the products cost.
 */
async function measureLimit(options: BenchOptions, peer: PeerStatus): Promise<MachineLimit> {
  const limit: MachineLimit = { status: "unmeasured", shape: SGEMM_LIMIT_SHAPE, threads: LIMIT_THREADS };
  if (peer.status !== "ran") return { ...limit, detail: "machine limit not measured: it is timed through the PyTorch peer" };
  const side = new Side("PyTorch");
  try {
    await side.start(() =>
      startTorchPeer({
        python: peer.python!,
        threads: LIMIT_THREADS,
        ...(options.torchLibraryPath === undefined ? {} : { libraryPath: options.torchLibraryPath }),
        timeoutMs: options.timeoutSeconds * 1000,
      }),
    );
    const [m, k, n] = SGEMM_LIMIT_SHAPE;
    const seconds = options.quick ? 0.2 : LIMIT_SECONDS;
    const reply = await side.call({ cmd: "sgemm", threads: LIMIT_THREADS, m, k, n, seconds });
    if (reply?.gflops !== undefined && Number.isFinite(reply.gflops)) return { ...limit, status: "measured", gflops: reply.gflops };
    return { ...limit, detail: `machine limit not measured: ${side.figures.error ?? "no figure"}` };
  } finally {
    await side.close();
  }
}

function findPeer(options: BenchOptions): PeerStatus {
  if (!options.torch) return { status: "disabled", detail: "PyTorch peer not run (--no-torch): mtl figures alone" };
  const found = findTorchPython(options.python);
  if (!found.found) {
    return {
      status: "missing",
      detail: `PyTorch peer not found (${TORCH_MISSING_HINT}); mtl figures alone. Tried ${found.why}`,
    };
  }
  return {
    status: "ran",
    detail: `torch ${found.version} in ${found.python}`,
    python: found.python,
    torch: found.version,
  };
}

async function runWorkload(
  workload: Workload,
  threads: number,
  options: BenchOptions,
  bench: BenchResult,
  log: Log,
): Promise<WorkloadResult> {
  const serving = options.quick ? QUICK_SERVING_SIZES : SERVING_SIZES;
  const mtl = new Side("mtl");
  const torch = bench.peer.status === "ran" ? new Side("PyTorch") : null;
  let torchSparse: Side | null = null;
  const result: WorkloadResult = {
    id: workload.id,
    threads,
    title: workload.title,
    kind: workload.kind,
    target: targetAt(workload, threads),
    ...(workload.kind === "serve" ? { serving } : {}),
    mtl: mtl.figures,
    torch: torch?.figures ?? null,
    torchSparse: null,
  };
  const source = workloadSpec(workload, options.quick);
  let ir: ValidIR;
  try {
    ir = compileSpec(source);
  } catch (error) {
    mtl.fail(error);
    torch?.fail(error);
    return result;
  }
  if (workload.kind === "train") result.batch = ir.train.batch;
  let shape: PeerShape | null = null;
  try {
    shape = peerShape(ir, workload.architecture, serving);
  } catch (error) {
    torch?.fail(error);
  }
  if (shape !== null && workload.kind === "train") result.flopsPerRow = trainingFlopsPerRow(shape);
  // Tables are where the forms differ in training; in serving, an MMoE request of one user's candidates
  // (torch_peer.py RepeatedUser computes the user columns' share of the first layers once, as mtl does).
  const bestServing = shape !== null && shape.architecture === "mmoe" && shape.numeric === 0 && shape.userFeatures > 0;
  if (torch !== null && shape !== null && (workload.kind === "train" ? shape.categorical.count > 0 : bestServing)) {
    torchSparse = new Side("PyTorch sparse");
    result.torchSparse = torchSparse.figures;
  }
  const timeoutMs = options.timeoutSeconds * 1000;
  log(`${workload.title}: setting up (${describeSizes(ir, workload, serving)}), ${threads} thread(s)`);

  try {
    await mtl.start(() =>
      ProtocolChild.start({
        label: "mtl",
        command: process.execPath,
        args: [mtlChildScript()],
        // mtl's default for n cores: its native BLAS on n threads (src/runtime/parallel/cores.ts).
        env: { ...process.env, MTL_BLAS_THREADS: String(threads) },
        timeoutMs,
      }),
    );
    if (mtl.ready !== null)
      bench.mtl = { backend: mtl.ready["backend"], tfjs: mtl.ready["tfjs"], matmul: mtl.ready["matmul"] };
    await mtl.call({
      cmd: "setup",
      threads,
      seed: SEED,
      workload: { kind: workload.kind, specFile: source.file, specText: source.text, serving },
    });
    for (const [side, form] of [[torch, "default"], [torchSparse, "sparse"]] as const) {
      if (side !== null && shape !== null) await setUpPeer(side, shape, form, workload, threads, options, bench);
    }
    const sides = [mtl, torch, torchSparse].filter((s): s is Side => s !== null);
    if (workload.kind === "train") await trainRounds(sides, ir.train.batch, options, workload, log);
    else await servingRounds(sides, serving, options, workload, log);
  } finally {
    await Promise.all([mtl.close(), torch?.close(), torchSparse?.close()]);
  }
  return result;
}

async function setUpPeer(
  torch: Side,
  shape: PeerShape,
  form: PeerForm,
  workload: Workload,
  threads: number,
  options: BenchOptions,
  bench: BenchResult,
): Promise<void> {
  await torch.start(() =>
    startTorchPeer({
      python: bench.peer.python!,
      threads,
      ...(options.torchLibraryPath === undefined ? {} : { libraryPath: options.torchLibraryPath }),
      timeoutMs: options.timeoutSeconds * 1000,
    }),
  );
  const reply = await torch.call({ cmd: "setup", threads, seed: SEED, workload: shape, form });
  if (reply !== null) {
    torch.figures.threads = reply.threads ?? threads;
    bench.peer.blas = (torch.ready?.["blas"] as string | null | undefined) ?? null;
  }
  if (threads > 1) {
    const choice = await torch.call({ cmd: "threads", threads, kind: workload.kind, units: unitsPerRound(options, workload) });
    if (choice !== null) {
      torch.figures.threads = choice.threads ?? threads;
      if (choice.roundMs !== undefined) torch.figures.threadChoiceMs = choice.roundMs;
    }
  }
}

function describeSizes(ir: ValidIR, workload: Workload, serving: ServingSizes): string {
  const tables =
    ir.tables.length === 0
      ? `${ir.features.length} numeric inputs`
      : `${ir.tables.length} tables x ${ir.tables[0]!.rows} rows x dim ${ir.tables[0]!.dim}`;
  return workload.kind === "train"
    ? `${tables}, batch ${ir.train.batch}`
    : `${tables}, ${serving.requestRows} candidates per request, throughput batches of ${serving.throughputRows}`;
}

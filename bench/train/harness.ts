/**
 * Runs the selected workloads, mtl and the PyTorch peer side by side: per
 * workload one mtl child and one PyTorch child, set up on the same compiled
 * spec, then warm-up and rounds that alternate between them (and alternate
 * who goes first), so a change in machine load hits both alike.
 */
import { cpus, loadavg } from "node:os";
import type { ValidIR } from "../../src/ir/types.js";
import { ProtocolChild } from "./child.js";
import type { BenchOptions } from "./options.js";
import { mtlChildScript } from "./paths.js";
import { peerShape } from "./peer-shape.js";
import { Side, type SideFigures } from "./side.js";
import { servingRounds, trainRounds } from "./rounds.js";
import { compileSpec, workloadSpec } from "./spec-source.js";
import { findTorchPython, startTorchPeer, TORCH_MISSING_HINT } from "./torch-peer.js";
import { QUICK_SERVING_SIZES, SERVING_SIZES, workloadById, type ServingSizes, type Workload } from "./workloads.js";

/** Seeds the weights and the random batches of both sides. */
const SEED = 7;

export interface WorkloadResult {
  id: string;
  title: string;
  kind: "train" | "serve";
  target: Workload["target"];
  /** Training rows per step (the spec's batch). */
  batch?: number;
  serving?: ServingSizes;
  mtl: SideFigures;
  /** null when the peer did not run at all. */
  torch: SideFigures | null;
}

export interface PeerStatus {
  status: "ran" | "disabled" | "missing";
  /** One line for the report. */
  detail: string;
  python?: string;
  torch?: string;
  threads?: number;
  blas?: string | null;
}

export interface BenchResult {
  startedAt: string;
  options: BenchOptions;
  machine: { cpu: string; cores: number; loadBefore: number; loadAfter: number; node: string };
  mtl: { backend?: unknown; tfjs?: unknown; threads?: number; matmul?: unknown };
  peer: PeerStatus;
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
    },
    mtl: {},
    peer,
    workloads: [],
  };
  for (const id of options.workloads) {
    result.workloads.push(await runWorkload(workloadById(id), options, result, log));
  }
  result.machine.loadAfter = loadavg()[0]!;
  return result;
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
  options: BenchOptions,
  bench: BenchResult,
  log: Log,
): Promise<WorkloadResult> {
  const serving = options.quick ? QUICK_SERVING_SIZES : SERVING_SIZES;
  const mtl = new Side("mtl");
  const torch = bench.peer.status === "ran" ? new Side("PyTorch") : null;
  const result: WorkloadResult = {
    id: workload.id,
    title: workload.title,
    kind: workload.kind,
    target: workload.target,
    ...(workload.kind === "serve" ? { serving } : {}),
    mtl: mtl.figures,
    torch: torch?.figures ?? null,
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
  const timeoutMs = options.timeoutSeconds * 1000;
  log(`${workload.title}: setting up (${describeSizes(ir, workload, serving)})`);

  try {
    await mtl.start(() =>
      ProtocolChild.start({ label: "mtl", command: process.execPath, args: [mtlChildScript()], timeoutMs }),
    );
    if (mtl.ready !== null)
      bench.mtl = { backend: mtl.ready["backend"], tfjs: mtl.ready["tfjs"], threads: mtl.ready.threads, matmul: mtl.ready["matmul"] };
    await mtl.call({
      cmd: "setup",
      threads: mtl.ready?.threads ?? 1,
      seed: SEED,
      workload: { kind: workload.kind, specFile: source.file, specText: source.text, serving },
    });
    if (torch !== null) await setUpPeer(torch, ir, workload, serving, mtl.ready?.threads ?? 1, options, bench);
    const sides = [mtl, torch].filter((s): s is Side => s !== null);
    if (workload.kind === "train") await trainRounds(sides, ir.train.batch, options, workload, log);
    else await servingRounds(sides, serving, options, workload, log);
  } finally {
    await Promise.all([mtl.close(), torch?.close()]);
  }
  return result;
}

async function setUpPeer(
  torch: Side,
  ir: ValidIR,
  workload: Workload,
  serving: ServingSizes,
  threads: number,
  options: BenchOptions,
  bench: BenchResult,
): Promise<void> {
  let shape;
  try {
    shape = peerShape(ir, workload.architecture, serving);
  } catch (error) {
    torch.fail(error);
    return;
  }
  await torch.start(() =>
    startTorchPeer({
      python: bench.peer.python!,
      threads,
      ...(options.torchLibraryPath === undefined ? {} : { libraryPath: options.torchLibraryPath }),
      timeoutMs: options.timeoutSeconds * 1000,
    }),
  );
  const reply = await torch.call({ cmd: "setup", threads, seed: SEED, workload: shape });
  if (reply !== null) {
    bench.peer.threads = reply.threads ?? threads;
    bench.peer.blas = (torch.ready?.["blas"] as string | null | undefined) ?? null;
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

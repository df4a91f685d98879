/**
 * Whole-process benchmark (issues #16 and #17): `mtl train` as a user runs it
 * against a PyTorch script doing the same work, each a fresh process, wall
 * time, interleaved rounds, medians. See README.md.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileSource } from "../../src/compiler.js";
import { TORCH_MISSING_HINT } from "../../src/util/torch-python.js";
import { median } from "../train/stats.js";
import { modelSize } from "../../src/runtime/graph/model-size.js";
import { peerConfig } from "./peer-config.js";
import { findPeerPython, runMtl, runTorch, type ProcessRun } from "./run.js";
import { PROCESS_WORKLOAD_IDS, processWorkload, type ProcessWorkloadId } from "./workloads.js";

export interface Options {
  rounds: number;
  quick: boolean;
  threads: number;
  workloads: ProcessWorkloadId[];
  work: string;
  python?: string;
  json?: string;
  timeoutSeconds: number;
}

const HELP = `Whole-process benchmark: mtl train against a PyTorch script, fresh processes, wall time.

  node dist/bench/process/index.js [options]

  --quick               tiny sizes, one round: a smoke test, not a measurement
  --rounds <n>          interleaved rounds per workload (default 3; medians)
  --workloads <a,b>     of ${PROCESS_WORKLOAD_IDS.join(", ")} (default all)
  --threads <n>         BLAS/OpenMP threads on both sides (default 1)
  --python <path>       a Python that imports torch and pandas (default: found)
  --work <dir>          generated data and outputs (default ${join(tmpdir(), "mtl-bench-process")})
  --json <file>         also write the results as JSON
  --timeout <seconds>   per process (default 1800)`;

function parseOptions(argv: string[]): Options {
  const options: Options = { rounds: 3, quick: false, threads: 1, workloads: [...PROCESS_WORKLOAD_IDS], work: join(tmpdir(), "mtl-bench-process"), timeoutSeconds: 1800 };
  const value = (i: number, name: string): string => {
    const v = argv[i + 1];
    if (v === undefined) throw new Error(`${name} needs a value`);
    return v;
  };
  const count = (text: string, name: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a whole number of at least 1, got '${text}'`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--help" || arg === "-h") {
      process.stdout.write(HELP + "\n");
      process.exit(0);
    } else if (arg === "--quick") options.quick = true;
    else if (arg === "--rounds") options.rounds = count(value(i++, arg), arg);
    else if (arg === "--threads") options.threads = count(value(i++, arg), arg);
    else if (arg === "--timeout") options.timeoutSeconds = count(value(i++, arg), arg);
    else if (arg === "--python") options.python = value(i++, arg);
    else if (arg === "--work") options.work = value(i++, arg);
    else if (arg === "--json") options.json = value(i++, arg);
    else if (arg === "--workloads") {
      const ids = value(i++, arg).split(",");
      const unknown = ids.filter((id) => !(PROCESS_WORKLOAD_IDS as readonly string[]).includes(id));
      if (unknown.length > 0) throw new Error(`unknown workload ${unknown.join(", ")}; choose from ${PROCESS_WORKLOAD_IDS.join(", ")}`);
      options.workloads = ids as ProcessWorkloadId[];
    } else throw new Error(`unknown option '${arg}' (see --help)`);
  }
  if (options.quick) options.rounds = 1;
  return options;
}

export interface WorkloadResult {
  id: ProcessWorkloadId;
  title: string;
  params: number;
  mtl: ProcessRun[];
  torch: ProcessRun[];
  /** Median wall times and their ratio, PyTorch's over mtl's (above 1: mtl is faster). */
  mtlWallMs: number;
  torchWallMs: number | null;
  ratio: number | null;
  /** mtl's median time outside its training steps (wall minus steps). */
  mtlFixedMs: number;
  target: number;
  fixedCostTarget?: number;
}

export async function runBenchmark(options: Options, log: (line: string) => void): Promise<WorkloadResult[]> {
  const torch = findPeerPython(options.python);
  if (!torch.found) log(`The PyTorch script cannot run (${torch.why}): mtl's times alone. ${TORCH_MISSING_HINT}, and python3-pandas`);
  const results: WorkloadResult[] = [];
  for (const id of options.workloads) {
    const workload = processWorkload(id, options.quick);
    const dir = join(options.work, id + (options.quick ? "-quick" : ""));
    mkdirSync(dir, { recursive: true });
    const data = await workload.data(options.work);
    const specFile = join(dir, "model.mtl");
    writeFileSync(specFile, workload.specText);
    const compiled = compileSource(workload.specText, specFile);
    if (!compiled.ir) throw new Error(`the ${id} spec does not compile: ${compiled.diagnostics.map((d) => d.message).join("; ")}`);
    const config = join(dir, "torch-config.json");
    writeFileSync(config, JSON.stringify(peerConfig(compiled.ir, { file: data, epochs: workload.epochs, threads: options.threads, out: join(dir, "torch-model.pt") })));
    const size = modelSize(compiled.ir);
    const params = size.embedding + size.dense;
    log(`${id}: ${workload.title}; ${params.toLocaleString("en-US")} parameters`);
    const mtlRuns: ProcessRun[] = [];
    const torchRuns: ProcessRun[] = [];
    const timeoutMs = options.timeoutSeconds * 1000;
    for (let round = 0; round < options.rounds; round++) {
      // Alternate who goes first, so a change in the machine's load hits both sides alike.
      const sides = [
        async () => {
          const run = await runMtl(specFile, data, join(dir, "mtl-model"), workload.epochs, options.threads, timeoutMs);
          mtlRuns.push(run);
          log(`  round ${round + 1}: mtl ${(run.wallMs / 1000).toFixed(2)} s (${(run.trainMs / 1000).toFixed(2)} s in training steps)`);
        },
        async () => {
          if (!torch.found) return;
          const run = await runTorch(torch.python, config, options.threads, timeoutMs);
          if (run.params !== params) throw new Error(`the PyTorch script built ${run.params} parameters, mtl ${params}: they do not train the same model`);
          torchRuns.push(run);
          log(`  round ${round + 1}: PyTorch ${(run.wallMs / 1000).toFixed(2)} s (${(run.trainMs / 1000).toFixed(2)} s training)`);
        },
      ];
      for (const side of round % 2 === 0 ? sides : sides.reverse()) await side();
    }
    const mtlWallMs = median(mtlRuns.map((r) => r.wallMs));
    const torchWallMs = torchRuns.length > 0 ? median(torchRuns.map((r) => r.wallMs)) : null;
    results.push({
      id,
      title: workload.title,
      params,
      mtl: mtlRuns,
      torch: torchRuns,
      mtlWallMs,
      torchWallMs,
      ratio: torchWallMs === null ? null : torchWallMs / mtlWallMs,
      mtlFixedMs: median(mtlRuns.map((r) => r.wallMs - r.trainMs)),
      target: workload.target,
      ...(workload.fixedCostTarget !== undefined && { fixedCostTarget: workload.fixedCostTarget }),
    });
  }
  return results;
}

export function reportTable(results: readonly WorkloadResult[], options: Pick<Options, "rounds" | "threads" | "quick">): string {
  const s = (ms: number | null) => (ms === null ? "-" : `${(ms / 1000).toFixed(2)} s`);
  const lines = [
    `Whole processes, ${options.threads} thread${options.threads === 1 ? "" : "s"} each side, median of ${options.rounds} interleaved round${options.rounds === 1 ? "" : "s"}${options.quick ? " (--quick: a smoke test, not a measurement)" : ""}`,
    "",
    "| workload | mtl | PyTorch | PyTorch time / mtl time | target | mtl outside training steps |",
    "|---|---|---|---|---|---|",
  ];
  for (const r of results) {
    const fixed = `${s(r.mtlFixedMs)}${r.fixedCostTarget !== undefined ? ` (target < ${r.fixedCostTarget} s)` : ""}`;
    lines.push(`| ${r.title} | ${s(r.mtlWallMs)} | ${s(r.torchWallMs)} | ${r.ratio === null ? "-" : r.ratio.toFixed(2)} | >= ${r.target.toFixed(1)} | ${fixed} |`);
  }
  return lines.join("\n");
}

async function main(): Promise<void> {
  let options: Options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`bench/process: ${(error as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  const log = (line: string) => process.stderr.write(line + "\n");
  const results = await runBenchmark(options, log);
  process.stdout.write(reportTable(results, options) + "\n");
  if (options.json) writeFileSync(options.json, JSON.stringify({ options, results }, null, 2));
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, "/"))) {
  main().catch((error: unknown) => {
    process.stderr.write(`bench/process: ${(error as Error).message}\n`);
    process.exitCode = 1;
  });
}

/** Command-line options of the training benchmark (bench/train/index.ts). */
import { availableCores, MAX_THREADS } from "../../src/runtime/parallel/cores.js";
import { WORKLOAD_IDS, type WorkloadId } from "./workloads.js";

export interface BenchOptions {
  /** Interleaved rounds per workload; figures are medians over rounds. */
  rounds: number;
  /** Training steps per side per round. */
  steps: number;
  /** Untimed steps (or serving calls) per side before the first round. */
  warmup: number;
  /**
   * Untimed training steps per side at the start of every round, before its
   * timed steps: a round's first step is slower than the next ones whatever
   * ran in between (README: How it measures), which a training run's
   * back-to-back steps never suffer.
   */
  rewarm: number;
  /** Serving requests per side per round (latency samples). */
  requests: number;
  /** Throughput calls (one large batch each) per side per round. */
  throughputCalls: number;
  workloads: WorkloadId[];
  /**
   * Thread counts to run every workload at, both sides alike (mtl's native
   * BLAS threads, PyTorch's intra-op and BLAS threads); default 1 and the
   * cores available.
   */
  threads: number[];
  /** Small tables and batches, one short round: a smoke test, not a measurement. */
  quick: boolean;
  /** Run mtl alone even when a PyTorch peer is available. */
  torch: boolean;
  /** Python interpreter for the peer; found automatically when absent. */
  python?: string;
  /** Directories put first on the peer's LD_LIBRARY_PATH (e.g. an OpenBLAS libblas.so.3). */
  torchLibraryPath?: string;
  /** Also write the results as JSON here. */
  json?: string;
  /** Seconds a child may take to answer one command before it counts as hung. */
  timeoutSeconds: number;
}

export const DEFAULT_OPTIONS: Readonly<BenchOptions> = {
  // A side runs 10 + 5 x (1 + 4) = 35 steps of a workload: about 35 s for
  // PyTorch's dense-Adam recsys form, 6 minutes on the reference BLAS (about
  // 10 s a step). The warm-up covers the first steps' page faults and JIT
  // (README: How it measures).
  rounds: 5,
  steps: 4,
  warmup: 10,
  rewarm: 1,
  requests: 12,
  throughputCalls: 1,
  workloads: [...WORKLOAD_IDS],
  threads: [...new Set([1, availableCores()])],
  quick: false,
  torch: true,
  timeoutSeconds: 600,
};

/** --quick: every workload once, briefly (the test runs this). */
export const QUICK_OPTIONS: Readonly<Partial<BenchOptions>> = {
  rounds: 1,
  steps: 1,
  warmup: 0,
  rewarm: 0,
  requests: 3,
  throughputCalls: 1,
};

export const USAGE = `Usage: node dist/bench/train/index.js [options]

Training and serving speed of mtl against a PyTorch peer (issue #6).

Options:
  --rounds N          interleaved rounds per workload (default ${DEFAULT_OPTIONS.rounds})
  --steps N           training steps per side per round (default ${DEFAULT_OPTIONS.steps})
  --warmup N          untimed steps or calls per side first (default ${DEFAULT_OPTIONS.warmup})
  --rewarm N          untimed training steps per side at the start of each round
                      (default ${DEFAULT_OPTIONS.rewarm})
  --requests N        serving requests per side per round (default ${DEFAULT_OPTIONS.requests})
  --throughput-calls N  large-batch scoring calls per side per round (default ${DEFAULT_OPTIONS.throughputCalls})
  --workloads A,B     some of: ${WORKLOAD_IDS.join(", ")} (default all)
  --threads N,M       thread counts to run every workload at, on both sides
                      (default ${DEFAULT_OPTIONS.threads.join(",")}: one thread and the cores available)
  --quick             small tables and batches, one round: a smoke test
  --no-torch          mtl alone
  --python PATH       the Python with torch (default: /usr/bin/python3, then python3)
  --torch-library-path DIRS  prepended to the peer's LD_LIBRARY_PATH, e.g. an
                      OpenBLAS directory holding libblas.so.3
  --json FILE         also write the results as JSON
  --timeout SECONDS   per command to a child (default ${DEFAULT_OPTIONS.timeoutSeconds})
  -h, --help          this text`;

export class UsageError extends Error {}

/** Parses argv (without node and the script); throws UsageError on bad input; null means --help. */
export function parseOptions(argv: readonly string[]): BenchOptions | null {
  const explicit: Partial<BenchOptions> = {};
  let quick = false;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = (): string => {
      const next = argv[++i];
      if (next === undefined) throw new UsageError(`${flag} needs a value`);
      return next;
    };
    switch (flag) {
      case "-h":
      case "--help":
        return null;
      case "--rounds":
        explicit.rounds = positiveInteger(flag, value());
        break;
      case "--steps":
        explicit.steps = positiveInteger(flag, value());
        break;
      case "--warmup":
        explicit.warmup = positiveInteger(flag, value(), 0);
        break;
      case "--rewarm":
        explicit.rewarm = positiveInteger(flag, value(), 0);
        break;
      case "--requests":
        explicit.requests = positiveInteger(flag, value());
        break;
      case "--throughput-calls":
        explicit.throughputCalls = positiveInteger(flag, value());
        break;
      case "--workloads":
        explicit.workloads = workloadList(value());
        break;
      case "--threads":
        explicit.threads = threadList(value());
        break;
      case "--quick":
        quick = true;
        break;
      case "--no-torch":
        explicit.torch = false;
        break;
      case "--python":
        explicit.python = value();
        break;
      case "--torch-library-path":
        explicit.torchLibraryPath = value();
        break;
      case "--json":
        explicit.json = value();
        break;
      case "--timeout":
        explicit.timeoutSeconds = positiveInteger(flag, value());
        break;
      default:
        throw new UsageError(`unknown option '${flag}'`);
    }
  }
  // Explicit options win over --quick's, wherever they appear.
  return { ...DEFAULT_OPTIONS, ...(quick ? QUICK_OPTIONS : {}), ...explicit, quick };
}

function positiveInteger(flag: string, text: string, min = 1): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${flag} needs an integer >= ${min}, got '${text}'`);
  return n;
}

function workloadList(text: string): WorkloadId[] {
  const ids = text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (ids.length === 0) throw new UsageError("--workloads needs at least one workload");
  for (const id of ids) {
    if (!(WORKLOAD_IDS as readonly string[]).includes(id)) {
      throw new UsageError(`unknown workload '${id}'; expected some of: ${WORKLOAD_IDS.join(", ")}`);
    }
  }
  return [...new Set(ids)] as WorkloadId[];
}

function threadList(text: string): number[] {
  const counts = text.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (counts.length === 0) throw new UsageError("--threads needs at least one thread count");
  return [...new Set(counts.map((c) => positiveInteger("--threads", c)))].map((n) => {
    if (n > MAX_THREADS) throw new UsageError(`--threads needs counts from 1 to ${MAX_THREADS}, got ${n}`);
    return n;
  });
}

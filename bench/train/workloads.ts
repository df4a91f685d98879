/**
 * The reference workloads of issue #6. Each names a real .mtl spec under
 * bench/train/specs; the PyTorch peer receives the shapes of the compiled spec
 * (peer-shape.ts), so the spec is the single source of truth for both sides.
 */

export const WORKLOAD_IDS = ["dense-mmoe", "recsys-mmoe", "recsys-esmm", "synthetic-mmoe", "serving"] as const;
export type WorkloadId = (typeof WORKLOAD_IDS)[number];

/** The architectures torch_peer.py implements. */
export type Architecture = "mmoe" | "esmm";

export interface Workload {
  readonly id: WorkloadId;
  /** As the issue names it. */
  readonly title: string;
  readonly kind: "train" | "serve";
  /** File name under bench/train/specs. */
  readonly spec: string;
  readonly architecture: Architecture;
  /**
   * Training steps (and warm-up steps) per round are --steps (--warmup) times
   * this: a step of the small model takes about a millisecond, so a round of
   * two would measure the timer, not the step. Absent: 1.
   */
  readonly stepsScale?: number;
  /** Issue #17's target for mtl / the best PyTorch form: rows/s ratio at least, or latency ratio at most. */
  readonly target: { readonly rowsRatioAtLeast: number } | { readonly latencyRatioAtMost: number };
}

export const WORKLOADS: readonly Workload[] = [
  {
    id: "dense-mmoe",
    title: "dense-MMoE",
    kind: "train",
    spec: "dense-mmoe.mtl",
    architecture: "mmoe",
    target: { rowsRatioAtLeast: 1.0 },
  },
  {
    id: "recsys-mmoe",
    title: "recsys-MMoE",
    kind: "train",
    spec: "recsys-mmoe.mtl",
    architecture: "mmoe",
    target: { rowsRatioAtLeast: 1.25 },
  },
  {
    id: "recsys-esmm",
    title: "recsys-ESMM",
    kind: "train",
    spec: "recsys-esmm.mtl",
    architecture: "esmm",
    target: { rowsRatioAtLeast: 1.25 },
  },
  {
    // Issue #16 "Small steps are cheap": per-step overhead at batch 64 within 2x of PyTorch's.
    id: "synthetic-mmoe",
    title: "synthetic-MMoE steps",
    kind: "train",
    spec: "synthetic-mmoe.mtl",
    architecture: "mmoe",
    stepsScale: 100,
    target: { rowsRatioAtLeast: 0.5 },
  },
  {
    id: "serving",
    title: "serving",
    kind: "serve",
    spec: "recsys-mmoe.mtl",
    architecture: "mmoe",
    target: { latencyRatioAtMost: 1.0 },
  },
];

/** Issue #17's target for training at more than one thread (the machine's core count): mtl / best PyTorch at least 1.0. */
export const MULTI_THREAD_TRAINING_TARGET = { rowsRatioAtLeast: 1.0 } as const;

/** A workload's target when both sides run on `threads` threads. */
export function targetAt(workload: Workload, threads: number): Workload["target"] {
  return threads > 1 && workload.kind === "train" ? MULTI_THREAD_TRAINING_TARGET : workload.target;
}

export function workloadById(id: WorkloadId): Workload {
  return WORKLOADS.find((w) => w.id === id)!;
}

/** Sizes that are the benchmark's, not the spec's. */
export interface ServingSizes {
  /** Candidates scored per request (one user, many items). */
  readonly requestRows: number;
  /** Rows per call of the throughput figure. */
  readonly throughputRows: number;
}

/** Features whose name starts with this are the request's user features, repeated on every candidate. */
export const USER_FEATURE_PREFIX = "user";

export const SERVING_SIZES: ServingSizes = { requestRows: 1000, throughputRows: 4096 };
export const QUICK_SERVING_SIZES: ServingSizes = { requestRows: 200, throughputRows: 1024 };

/**
 * --quick rewrites the specs' sizes before compiling them, so a smoke test
 * still goes through the compiler but finishes in seconds: the full 26 x
 * 100,000-row tables take a minute to initialise and to take the first Adam step.
 */
export const QUICK_SPEC_SIZES = { buckets: 1000, batch: 128 } as const;

/**
 * [m, k, n] of the product that measures the machine's limit: the recsys
 * experts' first layers as one product (batch 1024, input 26 x 16, 8 experts
 * x 256 units), the widest product these workloads could make and near the
 * BLAS's peak, so the fraction of it a workload reaches is an honest bound.
 */
export const SGEMM_LIMIT_SHAPE = [1024, 416, 2048] as const;

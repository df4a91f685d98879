/**
 * The JSON-lines protocol between the benchmark and its two kinds of child,
 * mtl-child.ts and torch_peer.py: one command per line on stdin, one reply
 * per line on stdout, after a first `ready` line from the child.
 */
import type { PeerShape } from "./peer-shape.js";
import type { ServingSizes } from "./workloads.js";

export type Command =
  | { cmd: "setup"; threads: number; seed: number; workload: SetupWorkload; form?: PeerForm }
  /**
   * PyTorch peer only, at more than one thread: keep torch's `threads` intra-op threads or drop to one
   * (the BLAS stays on `threads`), whichever runs rounds of `units` steps or requests faster (torch_peer.py choose_threads).
   */
  | { cmd: "threads"; threads: number; kind: "train" | "serve"; units: number }
  /** PyTorch peer only: single-precision matrix product speed on `threads` (the machine's limit). */
  | { cmd: "sgemm"; threads: number; m: number; k: number; n: number; seconds: number }
  | { cmd: "train"; steps: number }
  | { cmd: "serve"; requests: number }
  | { cmd: "throughput"; calls: number }
  | { cmd: "exit" };

/**
 * The PyTorch peer's forms (torch_peer.py): the library default (plain
 * nn.Embedding, dense Adam over every table row) and the best practice
 * (nn.Embedding(sparse=True) + SparseAdam for the tables, Adam for the rest).
 */
export const PEER_FORMS = ["default", "sparse"] as const;
export type PeerForm = (typeof PEER_FORMS)[number];

/** mtl reads the spec; the PyTorch peer reads the shape taken from the compiled spec. */
export type SetupWorkload =
  { kind: "train" | "serve"; specFile: string; specText: string; serving: ServingSizes } | PeerShape;

export interface Ready {
  event: "ready";
  /** Intra-op threads the side computes with. */
  threads: number;
  peakRssBytes: number;
  [detail: string]: unknown;
}

/** Every reply; which fields are present depends on the command. */
export interface Reply {
  ok: boolean;
  error?: string;
  trace?: string;
  peakRssBytes?: number;
  /** mtl only: bytes held by live tensors, and the size of the wasm heap. */
  tensorBytes?: number;
  wasmHeapBytes?: number;
  setupMs?: number;
  threads?: number;
  /** threads: the median round's milliseconds at each intra-op thread count tried. */
  roundMs?: Record<string, number>;
  /** Rows per training batch (mtl reports it from the spec). */
  batch?: number;
  stepMs?: number[];
  loss?: number;
  latencyMs?: number[];
  callMs?: number[];
  /** sgemm: best GFLOP/s. */
  gflops?: number;
}

/**
 * One side of a workload (mtl or PyTorch): its child process and the figures
 * collected so far. A failing side records why, kills its child and ignores
 * later commands, so the other side's figures are still reported.
 */
import type { ProtocolChild } from "./child.js";
import type { Command, Ready, Reply } from "./protocol.js";

/** "PyTorch" is the peer's library-default form, "PyTorch sparse" its best-practice form (protocol.ts PeerForm). */
export type SideLabel = "mtl" | "PyTorch" | "PyTorch sparse";

/** What a side measured in one workload (JSON-friendly). */
export interface SideFigures {
  label: SideLabel;
  /** The threads the side reported computing with (mtl: its BLAS's; PyTorch: torch.get_num_threads()). */
  threads?: number;
  /** PyTorch at more than one thread: the median round's milliseconds at each intra-op thread count it chose between. */
  threadChoiceMs?: Record<string, number>;
  /** Training rows/s, or serving throughput rows/s, of each round. */
  roundRowsPerSec: number[];
  /** Serving only: the latency of every timed request, in milliseconds. */
  latencyMs: number[];
  /** Peak resident set of the side's process since it started (it serves one workload). */
  peakRssBytes?: number;
  /** Resident set once the runtime is loaded, before the workload's setup: the runtime's own share of the peak. */
  startRssBytes?: number;
  /** mtl only: bytes in live tensors and the wasm heap's size, after the last round. */
  tensorBytes?: number;
  wasmHeapBytes?: number;
  setupMs?: number;
  lastLoss?: number;
  /** Why the side stopped early; its figures so far are kept. */
  error?: string;
}

export class Side {
  readonly figures: SideFigures;
  private child: ProtocolChild | null = null;
  ready: Ready | null = null;

  constructor(label: SideLabel) {
    this.figures = { label, roundRowsPerSec: [], latencyMs: [] };
  }

  get running(): boolean {
    return this.child !== null && this.figures.error === undefined;
  }

  async start(starter: () => Promise<{ child: ProtocolChild; ready: Ready }>): Promise<void> {
    try {
      const { child, ready } = await starter();
      this.child = child;
      this.ready = ready;
      this.figures.threads = ready.threads;
      this.figures.startRssBytes = ready.peakRssBytes;
      this.figures.peakRssBytes = ready.peakRssBytes;
    } catch (error) {
      this.fail(error);
    }
  }

  /** The reply, or null when the side has failed (now or before). */
  async call(command: Command): Promise<Reply | null> {
    if (!this.running) return null;
    try {
      const reply = await this.child!.request(command);
      this.record(reply);
      return reply;
    } catch (error) {
      this.fail(error);
      return null;
    }
  }

  fail(error: unknown): void {
    this.figures.error ??= error instanceof Error ? error.message : String(error);
    this.child?.kill();
  }

  async close(): Promise<void> {
    await this.child?.close();
    this.child = null;
  }

  private record(reply: Reply): void {
    const f = this.figures;
    if (reply.peakRssBytes !== undefined) f.peakRssBytes = Math.max(f.peakRssBytes ?? 0, reply.peakRssBytes);
    if (reply.tensorBytes !== undefined) f.tensorBytes = reply.tensorBytes;
    if (reply.wasmHeapBytes !== undefined) f.wasmHeapBytes = reply.wasmHeapBytes;
    if (reply.setupMs !== undefined) f.setupMs = reply.setupMs;
    if (reply.loss !== undefined) f.lastLoss = reply.loss;
  }
}

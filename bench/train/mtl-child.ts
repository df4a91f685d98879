/**
 * The mtl side of the benchmark as a child process, one per workload, so that
 * its peak memory is the workload's own (the wasm heap never shrinks, so in a
 * shared process every workload would report the largest one's peak) and so
 * it runs like the PyTorch peer: a long-lived process answering commands.
 *
 * Protocol: protocol.ts. Stray console output goes to stderr, keeping stdout
 * for replies.
 */
import { availableParallelism } from "node:os";
import { createInterface } from "node:readline";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../src/runtime/backend/select.js";
import { MtlWorkload } from "./mtl-workload.js";
import type { Command, Reply } from "./protocol.js";

function send(message: object): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

for (const method of ["log", "info", "warn", "debug"] as const) {
  console[method] = (...args: unknown[]) => process.stderr.write(`${args.map(String).join(" ")}\n`);
}

/** The threads the backend computes its products with: the native BLAS's (MTL_BLAS_THREADS), else the backend's own. */
async function backendThreads(backend: string): Promise<number> {
  if (backend === "wasm") {
    const blas = (await import("../../src/runtime/backend/wasm-backend.js")).wasmMatMulStatus()?.blas;
    return blas?.threads ?? (await import("@tensorflow/tfjs-backend-wasm")).getThreadsCount();
  }
  if (backend === "cpu") return 1;
  return availableParallelism(); // native TensorFlow uses every core by default
}

/** What computes the matrix products: a native BLAS, XNNPACK, or the backend itself. */
async function matMulEngine(backend: string): Promise<string> {
  if (backend !== "wasm") return `${backend} backend`;
  const status = (await import("../../src/runtime/backend/wasm-backend.js")).wasmMatMulStatus();
  return status?.blas != null ? `${status.blas.library}` : "XNNPACK";
}

function memory(): Pick<Reply, "peakRssBytes" | "tensorBytes" | "wasmHeapBytes"> {
  const backend = tf.backend() as { wasm?: { HEAPU8?: Uint8Array } };
  const heap = backend.wasm?.HEAPU8?.byteLength;
  return {
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    tensorBytes: tf.memory().numBytes,
    ...(heap === undefined ? {} : { wasmHeapBytes: heap }),
  };
}

async function answer(command: Command, state: { workload: MtlWorkload | null }): Promise<Omit<Reply, "ok">> {
  if (command.cmd === "setup") {
    if (!("specText" in command.workload)) throw new Error("mtl needs the spec text");
    const { specFile, specText, kind, serving } = command.workload;
    state.workload?.dispose();
    const start = performance.now();
    state.workload = new MtlWorkload({ spec: { file: specFile, text: specText }, kind, serving, seed: command.seed });
    return { setupMs: performance.now() - start, batch: state.workload.batchRows };
  }
  const workload = state.workload;
  if (workload === null) throw new Error(`'${command.cmd}' before 'setup'`);
  switch (command.cmd) {
    case "train":
      return workload.train(command.steps);
    case "serve":
      return { latencyMs: await workload.serve(command.requests) };
    case "throughput":
      return { callMs: await workload.throughput(command.calls) };
    default:
      throw new Error(`unknown command '${(command as { cmd: string }).cmd}'`);
  }
}

async function main(): Promise<void> {
  const selection = await selectBackend();
  send({
    event: "ready",
    backend: selection.name,
    tfjs: tf.version_core,
    node: process.version,
    threads: await backendThreads(selection.name),
    matmul: await matMulEngine(selection.name),
    ...memory(),
  });
  const state: { workload: MtlWorkload | null } = { workload: null };
  for await (const line of createInterface({ input: process.stdin })) {
    if (line.trim() === "") continue;
    let reply: Reply;
    try {
      const command = JSON.parse(line) as Command;
      if (command.cmd === "exit") break;
      reply = { ...(await answer(command, state)), ok: true, ...memory() };
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      reply = { ok: false, error: e.message, ...(e.stack === undefined ? {} : { trace: e.stack }) };
    }
    send(reply);
  }
  state.workload?.dispose();
}

main().catch((error: unknown) => {
  send({ event: "error", error: error instanceof Error ? error.message : String(error) });
  process.exitCode = 1;
});

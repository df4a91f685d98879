/** Starting the PyTorch peer (torch_peer.py) with a Python found by findTorchPython. */
import { ProtocolChild, type ChildSpec } from "./child.js";
import type { Ready } from "./protocol.js";
import { torchPeerScript } from "./paths.js";

export { findTorchPython, TORCH_MISSING_HINT, type TorchPython } from "../../src/util/torch-python.js";

export interface TorchPeerSettings {
  python: string;
  /** Threads for the BLAS and OpenMP pools and torch.set_num_threads (the peer may drop to one intra-op thread: the "threads" command). */
  threads: number;
  /** Prepended to LD_LIBRARY_PATH, e.g. to run on an OpenBLAS libblas.so.3. */
  libraryPath?: string;
  timeoutMs: number;
}

export function startTorchPeer(settings: TorchPeerSettings): Promise<{ child: ProtocolChild; ready: Ready }> {
  const threads = String(settings.threads);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    OMP_NUM_THREADS: threads,
    // Idle OpenMP threads sleep instead of spinning: spinning, they take the cores from OpenBLAS's own threads
    // (on 2 cores a recsys-MMoE step ran 2.2x slower at 2 threads than at 1). A setting of the caller's wins.
    OMP_WAIT_POLICY: process.env["OMP_WAIT_POLICY"] ?? "PASSIVE",
    OPENBLAS_NUM_THREADS: threads,
    MKL_NUM_THREADS: threads,
    PYTHONUNBUFFERED: "1",
  };
  if (settings.libraryPath !== undefined) {
    env["LD_LIBRARY_PATH"] = [settings.libraryPath, process.env["LD_LIBRARY_PATH"]].filter(Boolean).join(":");
  }
  const spec: ChildSpec = {
    label: "PyTorch",
    command: settings.python,
    args: [torchPeerScript()],
    env,
    timeoutMs: settings.timeoutMs,
  };
  return ProtocolChild.start(spec);
}

/** What kind of BLAS a library path is, for the report. */
export function describeBlas(path: unknown): string {
  if (typeof path !== "string") return "unknown BLAS";
  const lower = path.toLowerCase();
  if (lower.includes("openblas")) return `OpenBLAS (${path})`;
  if (lower.includes("mkl")) return `MKL (${path})`;
  if (lower.includes("blis")) return `BLIS (${path})`;
  if (lower.includes("atlas")) return `ATLAS (${path})`;
  if (/\/blas\/libblas\.so/.test(lower)) return `reference BLAS, unoptimised (${path})`;
  return path;
}

export const isReferenceBlas = (path: unknown): boolean =>
  typeof path === "string" && /\/blas\/libblas\.so/.test(path.toLowerCase());

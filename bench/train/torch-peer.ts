/**
 * Finding and starting the PyTorch peer (torch_peer.py). Debian's
 * python3-torch lives in /usr/bin/python3, which may not be the python3 on
 * PATH (a pyenv or venv one without torch), so both are tried.
 */
import { spawnSync } from "node:child_process";
import { ProtocolChild, type ChildSpec } from "./child.js";
import type { Ready } from "./protocol.js";
import { torchPeerScript } from "./paths.js";

export const TORCH_MISSING_HINT = "install python3-torch: apt-get install python3-torch";

const CANDIDATES = ["/usr/bin/python3", "python3"];

export type TorchPython = { found: true; python: string; version: string } | { found: false; why: string };

/** The first interpreter that can import torch: the given one, or the candidates in order. */
export function findTorchPython(explicit?: string): TorchPython {
  const tried: string[] = [];
  for (const python of explicit === undefined ? CANDIDATES : [explicit]) {
    const probe = spawnSync(python, ["-c", "import torch; print(torch.__version__)"], {
      encoding: "utf8",
      timeout: 120_000,
    });
    if (probe.status === 0) return { found: true, python, version: probe.stdout.trim() };
    const why = probe.error?.message ?? lastLine(probe.stderr) ?? `exit code ${probe.status}`;
    tried.push(`${python}: ${why}`);
  }
  return { found: false, why: tried.join("; ") };
}

function lastLine(text: string | null): string | undefined {
  return text?.trim().split("\n").at(-1) || undefined;
}

export interface TorchPeerSettings {
  python: string;
  /** Intra-op threads: torch.set_num_threads, and the BLAS and OpenMP pools. */
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

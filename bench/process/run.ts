/**
 * One timed run of each side, as a user runs it: a fresh process from spawn
 * to exit, wall time measured here.
 */
import { spawn, spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { packageRoot } from "../../src/util/package-root.js";
import { findTorchPython, type TorchPython } from "../../src/util/torch-python.js";

export interface ProcessRun {
  wallMs: number;
  /** mtl: the time its own report says went into training steps; torch: the peer's training loop. */
  trainMs: number;
  /** The peer's parameter count (torch side only). */
  params?: number;
}

export const mtlCli = (): string => fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
export const torchProcessScript = (): string => join(packageRoot(), "bench", "process", "torch_process.py");

/** A Python that runs the PyTorch script: findTorchPython's, when it also imports pandas (torch_process.py reads the CSV with it). */
export function findPeerPython(explicit?: string): TorchPython {
  const torch = findTorchPython(explicit);
  if (!torch.found) return torch;
  const pandas = spawnSync(torch.python, ["-c", "import pandas"], { stdio: "ignore", timeout: 60_000 });
  return pandas.status === 0 ? torch : { found: false, why: `${torch.python} imports torch but not pandas` };
}

/** Environment both sides get: `threads` BLAS/OpenMP threads. */
export function threadEnv(threads: number): NodeJS.ProcessEnv {
  const n = String(threads);
  return { ...process.env, MTL_BLAS_THREADS: n, OMP_NUM_THREADS: n, OPENBLAS_NUM_THREADS: n, MKL_NUM_THREADS: n };
}

/** `mtl train SPEC --data FILE --out OUT --epochs N` in a fresh process, OUT removed first. */
export async function runMtl(spec: string, data: string, out: string, epochs: number, threads: number, timeoutMs: number): Promise<ProcessRun> {
  rmSync(out, { recursive: true, force: true });
  const args = [mtlCli(), "train", spec, "--data", data, "--out", out, "--epochs", String(epochs)];
  const { wallMs, stderr } = await timed(process.execPath, args, threadEnv(threads), timeoutMs, "mtl train");
  const steps = /; ([\d.]+) s in training steps/.exec(stderr);
  if (!steps) throw new Error(`mtl train did not report its time in training steps; its output ended:\n${tail(stderr)}`);
  return { wallMs, trainMs: Number(steps[1]) * 1000 };
}

/** torch_process.py CONFIG in a fresh process. */
export async function runTorch(python: string, config: string, threads: number, timeoutMs: number): Promise<ProcessRun> {
  const { wallMs, stdout } = await timed(python, [torchProcessScript(), config], threadEnv(threads), timeoutMs, "the PyTorch script");
  const report = JSON.parse(stdout.trim().split("\n").at(-1)!) as { params: number; phasesMs: { train: number } };
  return { wallMs, trainMs: report.phasesMs.train, params: report.params };
}

/** The peer's parameter count for CONFIG, without reading data. */
export async function torchParams(python: string, config: string, timeoutMs: number): Promise<number> {
  const { stdout } = await timed(python, [torchProcessScript(), config, "--params"], threadEnv(1), timeoutMs, "the PyTorch script");
  return (JSON.parse(stdout.trim().split("\n").at(-1)!) as { params: number }).params;
}

function timed(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number, what: string): Promise<{ wallMs: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`${what} could not start: ${error.message}`));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const wallMs = performance.now() - start;
      if (code === 0) resolve({ wallMs, stdout, stderr });
      else reject(new Error(`${what} ${signal ? `was killed (${signal}${signal === "SIGKILL" ? `, over ${timeoutMs / 1000} s` : ""})` : `exited with code ${code}`}:\n${tail(stderr || stdout)}`));
    });
  });
}

const tail = (text: string): string => text.trim().split("\n").slice(-8).join("\n");

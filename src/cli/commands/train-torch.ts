/**
 * `mtl train --engine torch`: the spec compiled to the PyTorch package
 * (src/codegen/torch) in a temporary folder and its train.py run as N
 * processes on this machine, for users who do not want to see the package.
 * train.py writes --out as an mtl model folder, and resumes from its
 * checkpoint there when the same command runs again.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BackendUnavailableError, UsageError } from "../../errors.js";
import { lockOutFolder, OutFolderLockedError } from "../../train/out-lock.js";
import { refuseForeignFiles } from "../../train/checkpoint/train-folder.js";
import { findTorchPython, TORCH_MISSING_HINT } from "../../util/torch-python.js";
import { compileOrReport } from "../compile-or-report.js";
import { positiveInt } from "../data-options.js";
import { EXIT_ERRORS } from "../exit-codes.js";
import { signalExitCode } from "../signals.js";
import { threadsFlag, type TrainCliOptions } from "./train.js";

/** The `mtl train` options train.py has a counterpart for. */
export type TorchTrainOptions = Pick<
  TrainCliOptions,
  "data" | "out" | "epochs" | "batch" | "seed" | "maxSteps" | "shuffleBuffer" | "checkpointEvery" | "nproc" | "threads" | "force" | "quiet"
>;

/** Options of the TF.js trainer that train.py has no counterpart for, and what to do instead. */
const NOT_WITH_TORCH: Record<string, string> = {
  valid: "evaluate the saved model with `mtl eval MODEL --data FILE`",
  resume: "run the same command again: train.py resumes from the checkpoint in --out",
  acceptChanges: "train.py resumes only with the same options",
  skipBadRows: "fix or drop the bad rows first (train.py stops at the first one, naming its line)",
  backend: "PyTorch picks the CPU, or the GPUs when present",
  format: "give the file its extension (.csv, .tsv, .jsonl), or set the spec's data section",
  delimiter: "set it in the spec's data section",
  header: "set it in the spec's data section",
  columns: "set it in the spec's data section",
};

const CHECKPOINT = "torch-checkpoint";

export async function runTorchTrain(spec: string | undefined, options: TorchTrainOptions, given: (option: string) => boolean): Promise<number> {
  for (const [option, instead] of Object.entries(NOT_WITH_TORCH)) {
    if ((options as Record<string, unknown>)[option] !== undefined && given(option)) throw new UsageError(`--engine torch does not take --${option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ${instead}`);
  }
  if (spec === undefined || options.data === undefined || options.out === undefined) throw new UsageError("--engine torch needs SPEC --data FILE --out DIR");
  const nproc = positiveInt("--nproc", options.nproc) ?? 1;
  const numbers: [string, string | undefined][] = [
    ["--epochs", options.epochs],
    ["--batch", options.batch],
    ["--seed", options.seed],
    ["--max-steps", options.maxSteps],
    ["--shuffle-buffer", options.shuffleBuffer],
  ];
  const passed: string[] = [];
  for (const [flag, value] of numbers) if (value !== undefined) passed.push(flag, String(flag === "--seed" ? nonNegative(flag, value) : positiveInt(flag, value)));
  const threads = threadsFlag(options.threads);
  if (threads !== undefined) passed.push("--threads", String(threads));
  if (options.checkpointEvery !== undefined) {
    if (!/^\d+$/.test(options.checkpointEvery)) throw new UsageError(`--engine torch: --checkpoint-every takes a number of steps (0: every minute), got '${options.checkpointEvery}'`);
    passed.push("--checkpoint-every", options.checkpointEvery);
  }
  if (!existsSync(options.data)) throw new UsageError(`--data ${options.data}: no such file`);
  const out = options.out;
  if (!options.force && !existsSync(join(out, CHECKPOINT))) {
    if (existsSync(join(out, "manifest.json"))) {
      throw new UsageError(`${out} already holds a trained model: pass --force to train over it, or choose another --out`);
    }
    // As `mtl train`: no model and no run to resume, but another tool's model.json (say) that saving would overwrite.
    refuseForeignFiles(out);
  }

  const torch = findTorchPython(process.env["MTL_PYTHON"]);
  if (!torch.found) throw new BackendUnavailableError(`--engine torch needs Python with PyTorch (${TORCH_MISSING_HINT}, or elsewhere pip install torch; or set MTL_PYTHON to a python that has it); tried ${torch.why}`);
  const compiled = compileOrReport(spec);
  if (!compiled) return EXIT_ERRORS;

  let lock;
  try {
    lock = lockOutFolder(out, () => {});
  } catch (error) {
    if (error instanceof OutFolderLockedError) throw new UsageError(error.message);
    throw error;
  }
  const dir = mkdtempSync(join(tmpdir(), "mtl-torch-"));
  try {
    const { writeTorchPackage } = await import("../../codegen/torch/index.js");
    await writeTorchPackage(dir, compiled.ir, compiled.text);
    if (!options.quiet) process.stderr.write(`engine: PyTorch ${torch.version} (${torch.python}), ${nproc} process${nproc > 1 ? "es" : ""}\n`);
    const args = [join(dir, "train.py"), "--data", options.data, "--out", out, "--nproc", String(nproc), ...passed, ...(options.quiet ? ["--quiet"] : [])];
    return await run(torch.python, args);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    lock.release();
  }
}

function nonNegative(flag: string, value: string): number {
  if (!/^\d+$/.test(value)) throw new UsageError(`${flag} must be a non-negative integer, got '${value}'`);
  return Number(value);
}

/**
 * Runs train.py in the foreground and resolves to its exit code. SIGTERM and
 * SIGHUP are passed on; Ctrl-C reaches train.py from the terminal itself (it
 * signals the whole process group), so mtl only waits for it to stop.
 */
function run(python: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, args, { stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, PYTHONUNBUFFERED: "1" } });
    const handlers = new Map<NodeJS.Signals, () => void>([
      ["SIGINT", () => {}],
      ["SIGTERM", () => child.kill("SIGTERM")],
      ["SIGHUP", () => child.kill("SIGTERM")],
    ]);
    for (const [signal, handler] of handlers) process.on(signal, handler);
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      for (const [s, handler] of handlers) process.off(s, handler);
      resolve(code ?? signalExitCode(signal ?? "SIGTERM"));
    });
  });
}

#!/usr/bin/env node
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Command, CommanderError } from "commander";
import { describeThrown } from "../util/describe-thrown.js";
import { packageRoot } from "../util/package-root.js";
import { MtlError } from "../errors.js";
import { EXIT_INTERNAL, EXIT_USAGE } from "./exit-codes.js";
import { exitOnStopSignals } from "./signals.js";
import { exitWhenFlushed } from "./exit.js";

const { version } = JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { version: string };

/**
 * Commands by name, loaded on demand: `mtl check` must not pay for loading
 * TensorFlow.js. Only the command being run is imported (all of them for help).
 */
const COMMANDS: Record<string, () => Promise<(program: Command) => void>> = {
  check: async () => (await import("./commands/check.js")).registerCheck,
  lint: async () => (await import("./commands/check.js")).registerLint,
  fmt: async () => (await import("./commands/fmt.js")).registerFmt,
  compile: async () => (await import("./commands/compile.js")).registerCompile,
  train: async () => (await import("./commands/train.js")).registerTrain,
  eval: async () => (await import("./commands/evaluate.js")).registerEval,
  predict: async () => (await import("./commands/predict.js")).registerPredict,
  inspect: async () => (await import("./commands/inspect.js")).registerInspect,
  generate: async () => (await import("./commands/generate.js")).registerGenerate,
  demo: async () => (await import("./commands/demo.js")).registerDemo,
  lsp: async () => (await import("./commands/lsp.js")).registerLsp,
};

const ENVIRONMENT_HELP = `
Environment:
  MTL_BLAS=off|PATH    matrix products on the wasm backend: off for XNNPACK, or an
                       OpenBLAS library to load (default: the system's libopenblas, if any)
  MTL_BLAS_THREADS=N   threads for that BLAS (default: the cores this process is given;
                       mtl train --threads N overrides it)
  MTL_FUSED=off        train with the plain TF.js step instead of the fused typed-array
                       step (which mtl train uses where it can; its "train step:" line says)
  MTL_FUSED_PREDICT=off predictions and metrics through TF.js's layers instead of the
                       fused forward pass (which mtl uses where it can run the model)
  MTL_FUSED_SIMD=off   the fused step and forward pass run JavaScript loops instead of their
                       WebAssembly SIMD kernels (same results within float rounding; slower)
  MTL_HUGE_PAGES=off   keep 4 KiB pages for the model's large buffers (default on Linux with
                       koffi: they are advised to use transparent huge pages, which fault in faster)
  MTL_SPLIT_CSV=on     training reads a large CSV file on two threads (not the default:
                       not yet shown faster; mtl train --threads 1 keeps one)
  MTL_WASM_ADAM=off    dense and lazy Adam in JavaScript loops instead of WebAssembly kernels
                       over the wasm heap (same bits; slower)
  MTL_WASM_TABLES=off  the training step's embedding gathers and gradient sums in JavaScript loops
                       instead of WebAssembly kernels over the wasm heap (same bits; slower)
  MTL_DEBUG=1          print the stack trace of an unexpected failure (for bug reports)
  NO_COLOR=1           no colour in diagnostics`;

async function buildProgram(argv: string[]): Promise<Command> {
  const program = new Command("mtl")
    .description("mtl: declarative multi-task ranking models (Shared-Bottom, OMoE, MMoE, PLE, ESMM), compiled to TensorFlow.js.")
    .version(version, "-v, --version")
    // A subcommand's options belong to it (`mtl demo esmm --out X`), even where its parent has the same flag.
    .enablePositionalOptions()
    .showSuggestionAfterError(true)
    .showHelpAfterError("(add --help for usage)")
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`mtl: ${text.replace(/^error: /, "")}`) })
    .addHelpText("after", ENVIRONMENT_HELP);
  const wanted = argv[2] !== undefined && argv[2] in COMMANDS ? [COMMANDS[argv[2]]!] : Object.values(COMMANDS);
  for (const load of wanted) (await load())(program);
  for (const command of program.commands) command.exitOverride();
  return program;
}

async function main(argv: string[]): Promise<void> {
  try {
    await (await buildProgram(argv)).parseAsync(argv);
  } catch (error) {
    process.exitCode = exitCodeFor(error);
  }
}

/** Expected failures print one line; anything else is a bug and says so. */
function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_USAGE;
  if (error instanceof MtlError) {
    process.stderr.write(`${error.report()}\n`);
    return error.exitCode;
  }
  process.stderr.write(`mtl: internal error: ${describeThrown(error)}\nThis is a bug in mtl; please report it with the command and input that caused it.\n`);
  if (process.env["MTL_DEBUG"] && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  return EXIT_INTERNAL;
}

/** Commands whose work is over when their action returns (not the language server, which then serves): they exit at once. */
const EXIT_WHEN_DONE: ReadonlySet<string> = new Set(["train"]);

exitOnStopSignals();
await main(process.argv);
if (EXIT_WHEN_DONE.has(process.argv[2] ?? "")) await exitWhenFlushed();

/**
 * The long fuzz run (not a test), of three targets:
 *   spec     the spec-mutation property of test/robustness/spec-mutation.ts
 *            (CI: 4,000 runs with a fixed seed)
 *   parquet  mutated Parquet files through the data reader
 *            (test/robustness/parquet-mutation.ts; CI: 300 runs)
 *   model    mutated model folders through the model loader and scorer
 *            (test/robustness/model-mutation.ts; CI: 30 runs; trains a small model first)
 * run here for a time budget or a number of runs with a fresh seed. The file
 * targets run in a worker under a watchdog, so a hang is reported as a
 * counterexample (the case it hung on) instead of stalling the run.
 *
 *   npm run fuzz                              # 10 minutes over all targets, a fresh seed
 *   npm run fuzz -- --target parquet          # one target
 *   npm run fuzz -- --time 3600               # an hour
 *   npm run fuzz -- --runs 200000 --seed 42   # a fixed count (per target) and seed
 *   npm run fuzz -- --target spec --seed 42 --path 1234:5:0 # replay a counterexample
 *
 * A counterexample is printed with its target, seed and path (the command
 * above replays it) and the mutations it came from; the mutant (spec text,
 * Parquet file or model folder) is also written out (--out; default:
 * mtl-fuzz-counterexample-SEED.mtl, .parquet or -model in the temp folder);
 * the exit code is then 1.
 * Without `npm run`: `node dist/bench/fuzz.js --time 60` after a build.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { runWatched, trainModelFolder, type FileTarget } from "../test/robustness/mutation-worker.js";
import { mutantOf, mutationProperty, newStats, type MutationCase } from "../test/robustness/spec-mutation.js";

const TARGETS = ["spec", "parquet", "model"] as const;
type Target = (typeof TARGETS)[number];

interface FuzzOptions {
  targets: Target[];
  runs: number | null;
  seconds: number | null;
  seed: number;
  path: string | null;
  out: string;
}

/** A case that hangs is reported after this long without a result. */
const STALL_MS = 30_000;

const USAGE = "usage: fuzz [--target spec|parquet|model|all] [--time SECONDS] [--runs N] [--seed N] [--path PATH] [--out FILE]";

function parseArgs(argv: string[]): FuzzOptions {
  const options: FuzzOptions = { targets: [...TARGETS], runs: null, seconds: null, seed: Math.floor(Math.random() * 2 ** 31), path: null, out: "" };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    if (flag === "--help" || flag === "-h") {
      process.stdout.write(USAGE + "\n");
      process.exit(0);
    }
    if (value === undefined) fail(`${flag} needs a value`);
    i++;
    switch (flag) {
      case "--target":
        if (value === "all") options.targets = [...TARGETS];
        else if ((TARGETS as readonly string[]).includes(value)) options.targets = [value as Target];
        else fail(`--target must be spec, parquet, model or all, got '${value}'`);
        break;
      case "--time":
        options.seconds = positive(flag, value);
        break;
      case "--runs":
        options.runs = positive(flag, value);
        break;
      case "--seed":
        options.seed = Number.isInteger(Number(value)) ? Number(value) : fail(`--seed must be an integer, got '${value}'`);
        break;
      case "--path":
        options.path = /^\d+(:\d+)*$/.test(value) ? value : fail(`--path must look like 12:3:0, got '${value}'`);
        break;
      case "--out":
        options.out = value;
        break;
      default:
        fail(`unknown option '${flag}'`);
    }
  }
  // Neither given: ten minutes (a replay: no limit). Only a time: as many runs as fit.
  if (options.runs === null && options.seconds === null && options.path === null) options.seconds = 600;
  if (options.path !== null && options.targets.length > 1) fail("--path replays one target's counterexample: give --target too");
  return options;
}

function positive(flag: string, value: string): number {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : fail(`${flag} must be a whole number > 0, got '${value}'`);
}

function fail(message: string): never {
  process.stderr.write(`fuzz: ${message}\n${USAGE}\n`);
  process.exit(2);
}

/** The default place for a target's counterexample. */
function outFor(options: FuzzOptions, target: Target): string {
  if (options.out !== "") return options.out;
  const suffix = target === "spec" ? ".mtl" : target === "parquet" ? ".parquet" : "-model";
  return join(tmpdir(), `mtl-fuzz-counterexample-${options.seed}${suffix}`);
}

function replay(target: Target, seed: number, path: string | null): string {
  return path === null ? `npm run fuzz -- --target ${target} --seed ${seed} (the case hung: no path)` : `npm run fuzz -- --target ${target} --seed ${seed} --path ${path}`;
}

function fuzzSpecs(options: FuzzOptions, seconds: number | null): number {
  const stats = newStats();
  const started = performance.now();
  const details = fc.check(mutationProperty(stats), {
    seed: options.seed,
    numRuns: options.runs ?? Number.MAX_SAFE_INTEGER,
    ...(options.path !== null && { path: options.path }),
    ...(seconds !== null && { plugins: [fc.interruptAfterTimeLimit(seconds * 1000)] }),
  });
  const elapsed = (performance.now() - started) / 1000;
  const summary = `${details.numRuns} runs in ${elapsed.toFixed(1)} s (${Math.round(details.numRuns / Math.max(elapsed, 1e-3))}/s): ${stats.withErrors} mutants with errors, ${stats.clean} without; ${stats.codes.size} diagnostic codes seen`;
  if (!details.failed) {
    process.stdout.write(`spec ok: ${summary}${details.interrupted ? " (stopped at the time limit)" : ""}\n`);
    return 0;
  }
  if (details.counterexample === null) {
    process.stdout.write(`spec failed without a counterexample: ${summary}\n${fc.defaultReportMessage(details) ?? ""}\n`);
    return 1;
  }
  const [c] = details.counterexample as [MutationCase];
  const { name, input } = mutantOf(c);
  const out = outFor(options, "spec");
  writeFileSync(out, input);
  const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  process.stdout.write(
    [
      `COUNTEREXAMPLE (spec) after ${summary} (${details.numShrinks} shrinks)`,
      `  replay:    ${replay("spec", details.seed, details.counterexamplePath)}`,
      `  spec:      specs/${name}, as ${c[2] ? "bytes" : "text"}`,
      `  mutations: ${JSON.stringify(c[1])}`,
      `  mutant:    written to ${out}; try it with: node dist/src/cli/main.js check ${out}`,
      `  error:     ${error.split("\n").join("\n             ")}`,
      "",
    ].join("\n"),
  );
  return 1;
}

async function fuzzFiles(options: FuzzOptions, target: FileTarget, seconds: number | null): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), `mtl-fuzz-${target}-`));
  try {
    if (target === "model") await trainModelFolder(dir);
    const started = performance.now();
    const report = await runWatched({ target, dir, seed: options.seed, runs: options.runs, seconds, path: options.path }, STALL_MS);
    const elapsed = (performance.now() - started) / 1000;
    const worked = target === "parquet" ? "read" : "loaded";
    const summary = `${report.numRuns} runs in ${elapsed.toFixed(1)} s: ${report.ok} mutants ${worked}, ${report.refused} refused`;
    if (!report.failed) {
      process.stdout.write(`${target} ok: ${summary}${report.interrupted ? " (stopped at the time limit)" : ""}\n`);
      return 0;
    }
    const out = outFor(options, target);
    rmSync(out, { recursive: true, force: true });
    cpSync(report.mutant, out, { recursive: true });
    const tryIt = target === "parquet" ? `node dist/src/cli/main.js train SPEC --data ${out}` : `node dist/src/cli/main.js eval ${out} --data DATA`;
    process.stdout.write(
      [
        `COUNTEREXAMPLE (${target}) after ${summary}`,
        `  replay:    ${replay(target, options.seed, report.counterexamplePath)}`,
        `  case:      ${report.counterexample ?? "(none)"}`,
        `  mutant:    written to ${out}; try it with: ${tryIt}`,
        `  error:     ${(report.error ?? "").split("\n").join("\n             ")}`,
        "",
      ].join("\n"),
    );
    return 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  // The time budget is shared equally by the targets.
  const seconds = options.seconds !== null ? options.seconds / options.targets.length : null;
  const budget = seconds !== null ? `${seconds.toFixed(0)} s each` : "no time limit";
  const what = options.path !== null ? `replaying path ${options.path}` : `${options.runs ?? "unlimited"} runs, ${budget}`;
  process.stdout.write(`fuzzing ${options.targets.join(", ")}: seed ${options.seed}, ${what} (${cpus().length} cores, load ${loadavg()[0]!.toFixed(2)})\n`);
  let failed = 0;
  for (const target of options.targets) failed += target === "spec" ? fuzzSpecs(options, seconds) : await fuzzFiles(options, target, seconds);
  return failed > 0 ? 1 : 0;
}

process.exitCode = await main();

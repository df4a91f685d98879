/**
 * The long fuzz run of the front end (not a test): the spec-mutation property
 * of test/robustness/spec-mutation.ts, which CI runs 4,000 times with a fixed
 * seed, run here for a time budget or a number of runs with a fresh seed.
 *
 *   npm run fuzz                              # 10 minutes, a fresh seed
 *   npm run fuzz -- --time 3600               # an hour
 *   npm run fuzz -- --runs 200000 --seed 42   # a fixed count and seed
 *   npm run fuzz -- --seed 42 --path 1234:5:0 # replay a counterexample
 *
 * A counterexample is printed with its seed and path (the command above
 * replays it), the spec and mutations it came from, and the mutated text,
 * which is also written to a file (--out; default: mtl-fuzz-counterexample-SEED.mtl
 * in the temp folder); the exit code is then 1.
 * Without `npm run`: `node dist/bench/fuzz.js --time 60` after a build.
 */
import { writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { mutantOf, mutationProperty, newStats, type MutationCase } from "../test/robustness/spec-mutation.js";

interface FuzzOptions {
  runs: number | null;
  seconds: number | null;
  seed: number;
  path: string | null;
  out: string;
}

const USAGE = "usage: fuzz [--time SECONDS] [--runs N] [--seed N] [--path PATH] [--out FILE]";

function parseArgs(argv: string[]): FuzzOptions {
  const options: FuzzOptions = { runs: null, seconds: null, seed: Math.floor(Math.random() * 2 ** 31), path: null, out: "" };
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
  if (options.out === "") options.out = join(tmpdir(), `mtl-fuzz-counterexample-${options.seed}.mtl`);
  // Neither given: ten minutes (a replay: no limit). Only a time: as many runs as fit.
  if (options.runs === null && options.seconds === null && options.path === null) options.seconds = 600;
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

function main(): number {
  const options = parseArgs(process.argv.slice(2));
  const stats = newStats();
  const budget = options.seconds !== null ? `${options.seconds} s` : "no time limit";
  const what = options.path !== null ? `replaying path ${options.path}` : `${options.runs ?? "unlimited"} runs, ${budget}`;
  process.stdout.write(`fuzzing the front end: seed ${options.seed}, ${what} (${cpus().length} cores, load ${loadavg()[0]!.toFixed(2)})\n`);
  const started = performance.now();
  const details = fc.check(mutationProperty(stats), {
    seed: options.seed,
    numRuns: options.runs ?? Number.MAX_SAFE_INTEGER,
    ...(options.path !== null && { path: options.path }),
    ...(options.seconds !== null && { plugins: [fc.interruptAfterTimeLimit(options.seconds * 1000)] }),
  });
  const seconds = (performance.now() - started) / 1000;
  const summary = `${details.numRuns} runs in ${seconds.toFixed(1)} s (${Math.round(details.numRuns / Math.max(seconds, 1e-3))}/s): ${stats.withErrors} mutants with errors, ${stats.clean} without; ${stats.codes.size} diagnostic codes seen`;
  if (!details.failed) {
    process.stdout.write(`ok: ${summary}${details.interrupted ? " (stopped at the time limit)" : ""}\n`);
    return 0;
  }
  if (details.counterexample === null) {
    process.stdout.write(`failed without a counterexample: ${summary}\n${fc.defaultReportMessage(details) ?? ""}\n`);
    return 1;
  }
  const [c] = details.counterexample as [MutationCase];
  const { name, input } = mutantOf(c);
  writeFileSync(options.out, input);
  const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  process.stdout.write(
    [
      `COUNTEREXAMPLE after ${summary} (${details.numShrinks} shrinks)`,
      `  replay:    npm run fuzz -- --seed ${details.seed} --path ${details.counterexamplePath}`,
      `  spec:      specs/${name}, as ${c[2] ? "bytes" : "text"}`,
      `  mutations: ${JSON.stringify(c[1])}`,
      `  mutant:    written to ${options.out}; try it with: node dist/src/cli/main.js check ${options.out}`,
      `  error:     ${error.split("\n").join("\n             ")}`,
      "",
    ].join("\n"),
  );
  return 1;
}

process.exitCode = main();

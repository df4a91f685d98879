/**
 * Front-end benchmark (not a test): parse-only, `mtl check` (parse and check,
 * no lowering) and full compileSource time on each example spec and on a
 * generated 2,000-declaration spec, that spec's time per phase, plus the
 * start-up cost of `mtl check`.
 *
 *   npx tsc -p tsconfig.json --outDir .build-clitests && node .build-clitests/bench/check.js
 *
 * Environment: MTL_BENCH_RUNS (default 30), MTL_BENCH_WARMUP (default 5),
 * MTL_BENCH_SPAWNS (default 10), MTL_BENCH_DECLS (default 2000).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { compileSource } from "../src/compiler.js";
import { lower } from "../src/ir/lower.js";
import { assertValidIr } from "../src/ir/validate.js";
import type { Decl, SpecFile } from "../src/syntax/ast.js";
import { buildDecl, buildSpec } from "../src/syntax/build-ast.js";
import { lex, type LexResult } from "../src/syntax/lexer.js";
import { parseText } from "../src/syntax/parse.js";
import { parseTokens } from "../src/syntax/parser.js";
import { LineIndex } from "../src/syntax/range.js";
import { check, type CheckedSpec } from "../src/validation/checker.js";
import { generateLargeSpec } from "./generate-spec.js";

const RUNS = envInt("MTL_BENCH_RUNS", 30);
const WARMUP = envInt("MTL_BENCH_WARMUP", 5);
const SPAWNS = envInt("MTL_BENCH_SPAWNS", 10);
const DECLS = envInt("MTL_BENCH_DECLS", 2000);

function envInt(name: string, fallback: number): number {
  const n = Number(process.env[name]);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error("cannot find package.json");
    dir = parent;
  }
  return dir;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

interface Stats {
  median: number;
  p90: number;
  min: number;
}

function measure(fn: () => unknown, runs = RUNS, warmup = WARMUP): Stats {
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    fn();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { median: quantile(times, 0.5), p90: quantile(times, 0.9), min: times[0]! };
}

const ms = (n: number) => n.toFixed(n < 10 ? 2 : 1);

function row(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
}

/**
 * Medians of each front-end phase on one spec, each phase timed on its own
 * in the same loop (so they share the garbage collector's work as in a real run).
 */
function printPhases(text: string): void {
  const phases = { lex: [] as number[], "parse to AST": [] as number[], check: [] as number[], "lower + validate IR": [] as number[] };
  const time = <T>(into: number[], fn: () => T): T => {
    const started = performance.now();
    const result = fn();
    into.push(performance.now() - started);
    return result;
  };
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const lines = new LineIndex(text);
    const lexed: LexResult = time(phases.lex, () => lex(lines, "generated.mtl"));
    const ast: SpecFile = time(phases["parse to AST"], () => {
      const decls: Decl[] = [];
      parseTokens(lexed.tokens, (node) => {
        const decl = buildDecl(node, lines);
        if (decl) decls.push(decl);
      });
      return buildSpec(decls, lexed.docs, lines, "generated.mtl");
    });
    const checked: CheckedSpec = time(phases.check, () => check(ast));
    time(phases["lower + validate IR"], () => assertValidIr(lower(checked)));
    if (i < WARMUP) for (const times of Object.values(phases)) times.length = 0;
  }
  const medians = Object.entries(phases).map(([name, times]) => `${name} ${ms(quantile(times.sort((a, b) => a - b), 0.5))}`);
  console.log(`\ngenerated spec, median per phase: ${medians.join(", ")}`);
}

function main(): void {
  const root = repoRoot();
  const specDir = join(root, "specs");
  const inputs = readdirSync(specDir)
    .filter((f) => f.endsWith(".mtl"))
    .sort()
    .map((f) => ({ name: f, text: readFileSync(join(specDir, f), "utf8") }));

  const large = generateLargeSpec(DECLS);
  const check = compileSource(large, "generated.mtl");
  const errors = check.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0 || !check.ir) {
    process.stderr.write(`generated spec has ${errors.length} errors, e.g. ${errors[0]?.message}\n`);
    process.exit(1);
  }
  const decls = check.checked.ast.decls.length;
  inputs.push({ name: `generated (${decls} decls)`, text: large });

  const l = loadavg();
  console.log(`node ${process.version}, ${cpus().length} CPUs, load average ${l.map((x) => x.toFixed(2)).join(" ")}`);
  console.log(`${RUNS} timed runs after ${WARMUP} warm-up runs; times in ms\n`);

  const widths = [28, 8, 8, 9, 9, 9, 9, 9, 9];
  console.log(row(["spec", "chars", "lines", "parse p50", "parse p90", "check p50", "check p90", "comp p50", "comp p90"], widths));
  console.log(row(widths.map((w) => "-".repeat(w)), widths));
  for (const input of inputs) {
    const bytes = Buffer.from(input.text, "utf8");
    const parse = measure(() => parseText(input.text, input.name));
    // What `mtl check` does after start-up: no lowering to IR.
    const checkOnly = measure(() => compileSource(bytes, input.name, { lower: false }));
    const compile = measure(() => compileSource(bytes, input.name));
    const lines = input.text.split("\n").length;
    const cells = [parse, checkOnly, compile].flatMap((s) => [ms(s.median), ms(s.p90)]);
    console.log(row([input.name, String(input.text.length), String(lines), ...cells], widths));
  }
  printPhases(large);

  const cli = join(dirname(fileURLToPath(import.meta.url)), "..", "src", "cli", "main.js");
  const spec = join(specDir, "mmoe.mtl");
  const spawns: number[] = [];
  for (let i = 0; i < SPAWNS + 1; i++) {
    const started = performance.now();
    const result = spawnSync(process.execPath, [cli, "check", spec], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
    const elapsed = performance.now() - started;
    if (result.status !== 0) {
      process.stderr.write(`mtl check ${spec} failed (${result.status}): ${result.stderr}\n`);
      process.exit(1);
    }
    if (i > 0) spawns.push(elapsed); // the first spawn warms the file cache
  }
  spawns.sort((a, b) => a - b);
  const bare = [] as number[];
  for (let i = 0; i < SPAWNS; i++) {
    const started = performance.now();
    spawnSync(process.execPath, ["-e", ""]);
    bare.push(performance.now() - started);
  }
  bare.sort((a, b) => a - b);
  console.log(`\nmtl check ${basename(spec)} (process start-up included): median ${ms(quantile(spawns, 0.5))} ms, p90 ${ms(quantile(spawns, 0.9))} ms over ${SPAWNS} spawns`);
  console.log(`bare 'node -e ""' for comparison: median ${ms(quantile(bare, 0.5))} ms`);
}

main();

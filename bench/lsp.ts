/**
 * Language-server latency benchmark (not a test): the time from a didChange
 * to the publishDiagnostics for that version, on a generated spec of
 * 2,000 declarations, measured by a real client over stdio against
 * `mtl lsp --stdio`. Edits are spaced out (as keystrokes after a pause), so
 * each one is checked at once rather than coalesced by the debounce.
 *
 *   npx tsc -p tsconfig.json --outDir .build-lsp && node .build-lsp/bench/lsp.js
 *
 * Environment: MTL_BENCH_EDITS (default 20), MTL_BENCH_WARMUP (default 5),
 * MTL_BENCH_DECLS (default 2000), MTL_BENCH_GAP_MS (pause between edits, default 120).
 */
import { existsSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { compileSource } from "../src/compiler.js";
import { IncrementalCompiler } from "../src/lsp/incremental.js";
import { parseText } from "../src/syntax/parse.js";
import { check } from "../src/validation/checker.js";
import { LspClient } from "../test/lsp/client.js";
import { declarationCount, generateLargeSpec } from "./generate-spec.js";

const EDITS = Number(process.env["MTL_BENCH_EDITS"] ?? 20);
const WARMUP = Number(process.env["MTL_BENCH_WARMUP"] ?? 5);
const DECLS = Number(process.env["MTL_BENCH_DECLS"] ?? 2000);
const GAP_MS = Number(process.env["MTL_BENCH_GAP_MS"] ?? 120);

const cli = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));
if (!existsSync(cli)) throw new Error(`compiled CLI not found at ${cli}; build first`);

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return { median: q(0.5), p90: q(0.9), min: s[0]!, max: s[s.length - 1]! };
};
const ms = (x: number) => `${x.toFixed(1)} ms`;
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));

async function main(): Promise<void> {
  const text = generateLargeSpec(DECLS);
  const lines = text.split("\n");
  // Edit the `dim` of a feature half-way down: a change that alters widths downstream.
  const line = lines.findIndex((l, i) => i > lines.length / 2 && /categorical\(buckets: 500, dim: 8\)/.test(l));
  const character = lines[line]!.indexOf("dim: 8") + "dim: ".length;

  const { client } = await LspClient.start(cli);
  const uri = "file:///bench/large.mtl";
  try {
    const opened = performance.now();
    await client.open(uri, text);
    const first = await client.waitForDiagnostics(uri, 1, 60_000);
    const openMs = performance.now() - opened;
    if (first.diagnostics.length) throw new Error(`the generated spec should be clean: ${JSON.stringify(first.diagnostics.slice(0, 3))}`);

    const times: number[] = [];
    for (let i = 0; i < WARMUP + EDITS; i++) {
      await sleep(GAP_MS);
      const digit = i % 2 === 0 ? "9" : "8"; // dim: 8 -> 9 -> 8 ...
      const t0 = performance.now();
      const version = await client.change(uri, [{ range: { start: { line, character }, end: { line, character: character + 1 } }, text: digit }]);
      const published = await client.waitForDiagnostics(uri, version, 60_000);
      const dt = performance.now() - t0;
      if (published.diagnostics.some((d) => d.severity === 1)) throw new Error(`edit ${i} introduced errors: ${published.diagnostics[0]!.message}`);
      if (i >= WARMUP) times.push(dt);
    }

    // Where the time goes, in process: parse, check (compileSource = both, no lowering).
    const parse: number[] = [];
    const checkOnly: number[] = [];
    const compile: number[] = [];
    const incremental: number[] = [];
    const inc = new IncrementalCompiler();
    inc.compile(text, "large.mtl");
    const edited = [text, text.replace(/(dim: )(8)(\))/, "$19$3")];
    for (let i = 0; i < WARMUP + EDITS; i++) {
      const t0 = performance.now();
      inc.compile(edited[(i + 1) % 2]!, "large.mtl");
      if (i >= WARMUP) incremental.push(performance.now() - t0);
    }
    for (let i = 0; i < WARMUP + EDITS; i++) {
      let t = performance.now();
      const parsed = parseText(text, "large.mtl");
      const tParse = performance.now() - t;
      t = performance.now();
      check(parsed.ast);
      const tCheck = performance.now() - t;
      t = performance.now();
      compileSource(text, "large.mtl", { lower: false });
      const tCompile = performance.now() - t;
      if (i >= WARMUP) {
        parse.push(tParse);
        checkOnly.push(tCheck);
        compile.push(tCompile);
      }
    }

    const s = stats(times);
    console.log(`mtl lsp: didChange -> publishDiagnostics, ${declarationCount(DECLS)} declarations (${text.length.toLocaleString()} chars, ${lines.length} lines)`);
    console.log(`  ${cpus()[0]?.model ?? "cpu"}, node ${process.version}; ${EDITS} edits after ${WARMUP} warm-up, ${GAP_MS} ms apart`);
    console.log(`  open -> first diagnostics: ${ms(openMs)} (includes module loading and JIT warm-up)`);
    console.log(`  edit latency: median ${ms(s.median)}, p90 ${ms(s.p90)}, min ${ms(s.min)}, max ${ms(s.max)}  (goal: median < 30 ms)`);
    const p = stats(parse);
    const c = stats(checkOnly);
    const all = stats(compile);
    console.log(`  in process (median): parse ${ms(p.median)}, check ${ms(c.median)}, compileSource ${ms(all.median)}; after an edit, incremental compile ${ms(stats(incremental).median)}`);
    console.log(`  machine load average: ${loadavg().map((x) => x.toFixed(1)).join(" ")} on ${cpus().length} CPUs`);
    console.log(`  ${s.median < 30 ? "OK" : "SLOW"}: median ${ms(s.median)}`);
  } finally {
    await client.stop();
  }
}

await main();

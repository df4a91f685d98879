/**
 * Does mtl's step get faster with more OpenBLAS threads on this machine?
 *
 *   npx tsc -p tsconfig.json && node dist/bench/train/blas-threads.js [--workloads dense-mmoe,recsys-mmoe] [--threads 2] [--pairs 15] [--quick]
 *
 * One process, one model: steps alternate between one thread and N (the
 * order flips every pair), so a change in machine load hits both alike,
 * which separate processes measured minutes apart cannot promise. Prints
 * each thread count's median step time and the median of the paired
 * speed-ups (one-thread time / N-thread time). The default thread count of
 * `mtl train` (docs/threads.md) is the one this says is faster on a machine
 * whose cores are free.
 */
import { selectBackend } from "../../src/runtime/backend/select.js";
import { wasmMatMulStatus } from "../../src/runtime/backend/wasm-backend.js";
import { availableCores } from "../../src/runtime/parallel/cores.js";
import { MtlWorkload } from "./mtl-workload.js";
import { parseOptions, UsageError } from "./options.js";
import { workloadSpec } from "./spec-source.js";
import { median } from "./stats.js";
import { workloadById } from "./workloads.js";

const UNUSED_SERVING = { requestRows: 1, throughputRows: 1 };

async function main(argv: string[]): Promise<number> {
  const pairsAt = argv.indexOf("--pairs");
  const pairs = pairsAt < 0 ? 15 : Number(argv[pairsAt + 1]);
  const rest = pairsAt < 0 ? argv : [...argv.slice(0, pairsAt), ...argv.slice(pairsAt + 2)];
  if (!Number.isInteger(pairs) || pairs < 1) throw new UsageError(`--pairs needs an integer >= 1, got '${argv[pairsAt + 1]}'`);
  const options = parseOptions(rest.includes("--threads") ? rest : [...rest, "--threads", String(availableCores())]);
  if (options === null) {
    process.stdout.write("usage: node dist/bench/train/blas-threads.js [--workloads A,B] [--threads N] [--pairs P] [--quick]\n");
    return 0;
  }
  await selectBackend("wasm");
  const blas = wasmMatMulStatus()?.blas ?? null;
  if (blas?.setThreads === undefined) {
    process.stderr.write(`no OpenBLAS to set threads on (${wasmMatMulStatus()?.why ?? "no native BLAS"}): nothing to compare\n`);
    return 1;
  }
  const many = Math.max(...options.threads);
  for (const id of options.workloads) {
    const workload = workloadById(id);
    if (workload.kind !== "train") continue;
    const model = new MtlWorkload({ spec: workloadSpec(workload, options.quick), kind: "train", serving: UNUSED_SERVING, seed: 7 });
    const step = (threads: number) => {
      blas.setThreads!(threads);
      return model.train(1).stepMs[0]!;
    };
    step(1);
    step(many);
    const one: number[] = [];
    const more: number[] = [];
    for (let pair = 0; pair < pairs; pair++) {
      if (pair % 2 === 0) {
        one.push(step(1));
        more.push(step(many));
      } else {
        more.push(step(many));
        one.push(step(1));
      }
    }
    const speedUp = median(one.map((ms, i) => ms / more[i]!));
    process.stdout.write(
      `${workload.title}: median step ${median(one).toFixed(1)} ms on 1 thread, ${median(more).toFixed(1)} ms on ${many}; ` +
        `paired speed-up ${speedUp.toFixed(2)} (${pairs} pairs)\n`,
    );
  }
  return 0;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exitCode = 2;
}

/**
 * Training and serving speed of mtl against a PyTorch peer (issue #6).
 *
 *   npx tsc -p tsconfig.json && node dist/bench/train/index.js [--quick] [--workloads dense-mmoe,serving] [--json FILE]
 *
 * Workloads: bench/train/workloads.ts and specs/*.mtl; the peer:
 * torch_peer.py, run with the first Python that has torch. Exit code 1 when
 * an mtl workload failed (a failing peer is reported, not fatal), 2 on bad
 * usage.
 */
import { writeFileSync } from "node:fs";
import { runBench } from "./harness.js";
import { parseOptions, USAGE, UsageError } from "./options.js";
import { formatReport } from "./report.js";

async function main(): Promise<number> {
  let options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (options === null) {
    console.log(USAGE);
    return 0;
  }
  const result = await runBench(options, (line) => console.error(line));
  console.log(formatReport(result));
  if (options.json !== undefined) {
    writeFileSync(options.json, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`\nresults written to ${options.json}`);
  }
  return result.workloads.some((w) => w.mtl.error !== undefined) ? 1 : 0;
}

process.exitCode = await main();

/** Runs the chosen experiments at one size and writes the report. */
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "#tfjs";
import { selectBackend } from "../runtime/backend/select.js";
import { EXPERIMENTS } from "./registry.js";
import { duration } from "./report/markdown.js";
import type { ExperimentId, ExperimentReport, Size } from "./report/types.js";
import { gitCommit, packageVersion } from "./report/version.js";
import { writeReport } from "./report/write.js";

export interface RunOptions {
  size: Size;
  /** Experiments to run, in the registry's order; all when empty. */
  only: readonly ExperimentId[];
  /** Folder receiving results.md and results/. */
  out: string;
  /** How the user asked for this run, quoted in the report. */
  command: string;
  log(line: string): void;
}

export interface RunOutcome {
  report: string;
  sections: ExperimentReport[];
}

export async function runExperiments(o: RunOptions): Promise<RunOutcome> {
  const started = Date.now();
  const backend = await selectBackend();
  o.log(`backend: ${backend.reason}`);
  const chosen = EXPERIMENTS.filter((e) => o.only.length === 0 || o.only.includes(e.id));
  const work = mkdtempSync(join(tmpdir(), "mtl-experiments-"));
  const sections: ExperimentReport[] = [];
  try {
    for (const e of chosen) {
      o.log(`\n== ${e.title} (${o.size}: ${e.describe(o.size)})`);
      const section = await e.run({ size: o.size, workDir: join(work, e.id), log: (line) => o.log(`  ${line}`) });
      o.log(`  done in ${duration(section.seconds)}`);
      sections.push(section);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const cpu = cpus();
  const report = writeReport(o.out, sections, {
    command: o.command,
    size: o.size,
    version: packageVersion(),
    commit: gitCommit(),
    backend: backend.reason,
    runtime: `Node ${process.version}, TensorFlow.js ${tf.version_core}, ${cpu.length} × ${cpu[0]?.model.trim() ?? "unknown CPU"}`,
    date: new Date().toISOString().slice(0, 10),
    seconds: (Date.now() - started) / 1000,
    sizes: EXPERIMENTS,
  });
  o.log(`\nreport: ${report}`);
  return { report, sections };
}

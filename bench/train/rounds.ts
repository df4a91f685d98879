/**
 * The timed part of a workload: warm-up, then rounds in which every side
 * runs once. Sides alternate who goes first, so a change in machine load
 * between the first and the second half of a round hits both alike. A
 * training round starts each side with `rewarm` untimed steps (README: How it
 * measures): a round's first step is slower than the next ones, whatever ran
 * in between, and a training run's back-to-back steps never pay that.
 */
import type { Log } from "./harness.js";
import type { BenchOptions } from "./options.js";
import type { Side } from "./side.js";
import { median, rowsPerSecond, sum } from "./stats.js";
import type { ServingSizes, Workload } from "./workloads.js";

/** Round r runs every side once, the first side first when r is even, last when odd. */
function roundOrder(sides: Side[], round: number): Side[] {
  return round % 2 === 0 ? sides : [...sides].reverse();
}

/** What a workload's step counts (warm-up, round) are multiplied by. */
export function stepsScale(options: BenchOptions, workload: Workload): number {
  // --quick is a smoke test: one step is enough there.
  return options.quick ? 1 : (workload.stepsScale ?? 1);
}

/** Steps (training) or requests (serving) a side runs in one round. */
export function unitsPerRound(options: BenchOptions, workload: Workload): number {
  return workload.kind === "train" ? options.steps * stepsScale(options, workload) : options.requests;
}

export async function trainRounds(
  sides: Side[],
  batch: number,
  options: BenchOptions,
  workload: Workload,
  log: Log,
): Promise<void> {
  const scale = stepsScale(options, workload);
  for (const side of sides) await side.call({ cmd: "train", steps: options.warmup * scale });
  for (let round = 0; round < options.rounds; round++) {
    for (const side of roundOrder(sides, round)) {
      if (options.rewarm > 0) await side.call({ cmd: "train", steps: options.rewarm * scale });
      const reply = await side.call({ cmd: "train", steps: options.steps * scale });
      if (reply?.stepMs !== undefined)
        side.figures.roundRowsPerSec.push(rowsPerSecond(batch * reply.stepMs.length, sum(reply.stepMs)));
    }
    log(`${workload.title}: round ${round + 1}/${options.rounds}: ${progress(sides, "rows/s")}`);
  }
}

export async function servingRounds(
  sides: Side[],
  serving: ServingSizes,
  options: BenchOptions,
  workload: Workload,
  log: Log,
): Promise<void> {
  for (const side of sides) {
    await side.call({ cmd: "serve", requests: options.warmup });
    await side.call({ cmd: "throughput", calls: Math.min(options.warmup, 1) });
  }
  for (let round = 0; round < options.rounds; round++) {
    for (const side of roundOrder(sides, round)) {
      const latencies = await side.call({ cmd: "serve", requests: options.requests });
      if (latencies?.latencyMs !== undefined) side.figures.latencyMs.push(...latencies.latencyMs);
      const calls = await side.call({ cmd: "throughput", calls: options.throughputCalls });
      if (calls?.callMs !== undefined) {
        side.figures.roundRowsPerSec.push(
          rowsPerSecond(serving.throughputRows * calls.callMs.length, sum(calls.callMs)),
        );
      }
    }
    log(
      `${workload.title}: round ${round + 1}/${options.rounds}: ${progress(sides, "rows/s scored")}; median latency ${sides.map((s) => `${s.figures.label} ${median(s.figures.latencyMs).toFixed(1)} ms`).join(", ")}`,
    );
  }
}

function progress(sides: Side[], unit: string): string {
  return sides
    .map(
      (s) =>
        `${s.figures.label} ${s.figures.error !== undefined ? "failed" : `${Math.round(s.figures.roundRowsPerSec.at(-1) ?? NaN)} ${unit}`}`,
    )
    .join(", ");
}

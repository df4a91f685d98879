/**
 * The training rounds' schedule (bench/train/rounds.ts): both sides get the
 * same warm-up, every round starts each side with its untimed re-warm steps,
 * and only the timed steps reach the figures.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { ProtocolChild } from "../../bench/train/child.js";
import { parseOptions } from "../../bench/train/options.js";
import type { Command, Reply } from "../../bench/train/protocol.js";
import { trainRounds } from "../../bench/train/rounds.js";
import { Side } from "../../bench/train/side.js";
import { workloadById } from "../../bench/train/workloads.js";

/** A side whose child answers `train` with steps of `stepMs` each, and logs the steps it was asked for. */
async function fakeSide(label: "mtl" | "PyTorch", stepMs: number, log: string[]): Promise<Side> {
  const child = {
    async request(command: Command): Promise<Reply> {
      if (command.cmd !== "train") throw new Error(`unexpected ${command.cmd}`);
      log.push(`${label}:${command.steps}`);
      return { ok: true, stepMs: Array.from({ length: command.steps }, () => stepMs) };
    },
    async close() {},
    kill() {},
  } as unknown as ProtocolChild;
  const side = new Side(label);
  await side.start(async () => ({ child, ready: { event: "ready", threads: 1, peakRssBytes: 1 } }));
  return side;
}

test("every round re-warms each side untimed, alternating the order, and times the same steps on both", async () => {
  const log: string[] = [];
  const mtl = await fakeSide("mtl", 50, log);
  const torch = await fakeSide("PyTorch", 100, log);
  const options = parseOptions(["--rounds", "2", "--steps", "3", "--warmup", "5", "--rewarm", "1"])!;
  await trainRounds([mtl, torch], 1000, options, workloadById("recsys-esmm"), () => undefined);
  assert.deepEqual(log, [
    "mtl:5", "PyTorch:5", // warm-up
    "mtl:1", "mtl:3", "PyTorch:1", "PyTorch:3", // round 1
    "PyTorch:1", "PyTorch:3", "mtl:1", "mtl:3", // round 2, reversed
  ]);
  // Only the 3 timed steps of each round count: 3,000 rows in 150 ms and 300 ms.
  assert.deepEqual(mtl.figures.roundRowsPerSec, [20_000, 20_000]);
  assert.deepEqual(torch.figures.roundRowsPerSec, [10_000, 10_000]);
});

test("the default warm-up covers the first steps' page faults and each round re-warms; --quick does neither", () => {
  const defaults = parseOptions([])!;
  assert.ok(defaults.warmup >= 8, `warm-up ${defaults.warmup}`);
  assert.equal(defaults.rewarm, 1);
  const quick = parseOptions(["--quick"])!;
  assert.deepEqual([quick.warmup, quick.rewarm], [0, 0]);
  assert.throws(() => parseOptions(["--rewarm", "-1"]), /--rewarm needs an integer >= 0/);
});

/**
 * `mtl train` killed with SIGKILL, again and again, and restarted each time
 * the way a scheduler restarts a preempted job: the same command, which
 * starts the run or continues it (`mtl train SPEC --data F --resume DIR`),
 * or `mtl train --resume DIR` alone once the run is recorded. After every
 * kill, the run record is absent or valid, every file a manifest lists
 * matches it and the checkpoint loads; at the end, the model has exactly the
 * weights of an uninterrupted run (which checkpointed by the default, time-based
 * interval: when checkpoints are taken does not change the weights), and
 * the folder holds the model and nothing else.
 *
 * Two kinds of kills. Aimed ones, at windows too narrow to hit by chance:
 * as soon as the run holds its folder's lock (it is recording its
 * arguments), while a checkpoint is being written, and after the final
 * checkpoint (the model being saved). Random ones, at moments uniform over
 * the uninterrupted run's duration, start-up included (clipped to the final
 * checkpoint's commit), with checkpoints by time (every 20 ms) so they fall
 * between steps, in a save or in a replay.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { checkpointDir, loadCheckpoint } from "../../src/train/checkpoint/store.js";
import { verifyModelDir } from "../../src/model-dir/folder.js";
import { readRunRecord } from "../../src/train/checkpoint/run-record.js";
import { Rng } from "../../src/util/random.js";
import { type CliResult, spawnCli, tempDir } from "../helpers/cli.js";
import { cliFrom } from "../helpers/paths.js";
import { assertOk, runCliAsync } from "../helpers/train-cli.js";
import { assertManifestHolds, committedPosition, maxWeightDifference, modelWeights, smallRun, waitFor } from "../train/checkpoint/fixtures.js";

const cli = cliFrom(import.meta.url);
const { dir } = tempDir("kill-resume");

/** 480 rows in batches of 32, 2 epochs: 30 steps. */
const ROWS = 480;
const TOTAL_STEPS = 30;
/** Random kills, over as many series (from an empty folder to the model) as it takes: each has at least one. */
const RANDOM_KILLS = 6;

/** recording: as soon as the lock appears; saving: a checkpoint write in progress; end: after the final checkpoint; random: uniform over the run. */
type Moment = "recording" | "saving" | "end" | "random";

const CONTENT_FILE = /^(arrays|meta|encoding)\.[0-9a-f]{16}\.(bin|json)$/;

/** Files of the checkpoint folder that show a write in progress: temp files, and content files the manifest does not list. */
function writeInProgress(ckpt: string): string[] {
  if (!existsSync(ckpt)) return [];
  let listed: string[] = [];
  try {
    listed = Object.keys((JSON.parse(readFileSync(join(ckpt, "manifest.json"), "utf8")) as { files: Record<string, unknown> }).files);
  } catch {
    // No manifest yet, or being replaced: every content file counts as in progress.
  }
  let names: string[];
  try {
    names = readdirSync(ckpt);
  } catch {
    return [];
  }
  return names.filter((f) => (f.startsWith(".") && f.endsWith(".tmp")) || (CONTENT_FILE.test(f) && !listed.includes(f)));
}

/** Waits for `moment` of a running `mtl train`, then kills it with SIGKILL; false when it ended first. */
async function killAt(moment: Moment, run: ReturnType<typeof spawnCli>, out: string, delayMs: number): Promise<boolean> {
  const ckpt = checkpointDir(out);
  const options = { timeoutMs: 120_000, intervalMs: 1, done: run.done };
  let reached: boolean;
  switch (moment) {
    case "recording":
      reached = await waitFor(() => existsSync(join(out, ".lock")), options);
      break;
    case "saving": {
      // Files a killed save left behind do not count: the kill must land in this run's save.
      const leftovers = new Set(writeInProgress(ckpt));
      reached = await waitFor(() => (committedPosition(ckpt)?.steps ?? 0) >= 1 && writeInProgress(ckpt).some((f) => !leftovers.has(f)), options);
      break;
    }
    case "end":
      reached = await waitFor(() => committedPosition(ckpt)?.steps === TOTAL_STEPS, options);
      break;
    case "random":
      // Clipped to the final checkpoint's commit: on a machine faster than when the uninterrupted
      // run was timed, the kill still lands in the run (in its evaluation or model save) instead of after it.
      // (Attempts that start after that commit get no random kill: see the random series below.)
      reached = await Promise.race([new Promise<true>((r) => setTimeout(() => r(true), delayMs)), waitFor(() => committedPosition(ckpt)?.steps === TOTAL_STEPS, options)]);
      break;
  }
  return reached && run.child.kill("SIGKILL");
}

/** The run record is absent or valid, every file a manifest lists matches it, the checkpoint loads, and nothing else but in-progress files is there. */
function assertIntact(out: string, when: string): void {
  assert.doesNotThrow(() => readRunRecord(out), `${when}: the run record should be absent or valid`);
  const ckpt = checkpointDir(out);
  if (existsSync(join(ckpt, "manifest.json"))) {
    const listed = assertManifestHolds(ckpt, `checkpoint ${when}`);
    assert.doesNotThrow(() => loadCheckpoint(ckpt), `the checkpoint ${when} should load`);
    for (const f of readdirSync(ckpt)) {
      const expected = f === "manifest.json" || listed.includes(f) || (f.startsWith(".") && f.endsWith(".tmp")) || CONTENT_FILE.test(f);
      assert.ok(expected, `${when}: unexpected file ${f} in ${ckpt}`);
    }
  }
  if (existsSync(join(out, "manifest.json"))) {
    assertManifestHolds(out, `model folder ${when}`);
    assert.doesNotThrow(() => verifyModelDir(out), `the model folder ${when} should verify`);
  }
}

interface Kill {
  moment: Moment;
  /** The committed checkpoint's step after the kill; null: none yet. */
  step: number | null;
  recorded: boolean;
  inProgress: string[];
  ms: number;
}

test("SIGKILL at aimed and uniformly random moments, restarted each time: no file is ever corrupt, and the weights equal an uninterrupted run's", async (t) => {
  const started = performance.now();
  const { spec, data } = await smallRun(dir, ROWS);
  const reference = join(dir, "reference");
  const uninterrupted = await runCliAsync(cli, ["train", spec, "--data", data, "--out", reference, "--quiet"], { cwd: dir, timeoutMs: 180_000 });
  assertOk(uninterrupted, "the uninterrupted run");
  const span = uninterrupted.ms;
  const rng = new Rng("kill-resume");

  /** Kills the run in `out` at each of `plan`'s moments in turn (random ones while `more()` says so), restarting it each time until it completes. */
  async function series(out: string, every: string, plan: (kills: Kill[]) => Moment | undefined): Promise<Kill[]> {
    const kills: Kill[] = [];
    let final: CliResult | undefined;
    for (let attempt = 0; attempt < 40 && final === undefined; attempt++) {
      const recorded = existsSync(join(out, "run.json"));
      const args = recorded && attempt % 2 === 1 ? ["train", "--resume", out] : ["train", spec, "--data", data, "--resume", out, "--checkpoint-every", every];
      const moment = plan(kills);
      const delay = rng.uniform(0, span);
      const run = spawnCli(cli, args, { cwd: dir, timeoutMs: 120_000 });
      const killed = moment !== undefined && (await killAt(moment, run, out, delay));
      const result = await run.done;
      if (killed && result.signal === "SIGKILL") {
        const kill = { moment: moment!, step: committedPosition(checkpointDir(out))?.steps ?? null, recorded: existsSync(join(out, "run.json")), inProgress: writeInProgress(checkpointDir(out)), ms: Math.round(result.ms) };
        kills.push(kill);
        assertIntact(out, `after kill ${kills.length} (${moment}) in ${out}`);
        continue;
      }
      assertOk(result, `train ${args.join(" ")}`);
      assert.match(result.stderr, new RegExp(`saved the model to .* after ${TOTAL_STEPS} steps|already holds the finished model of this run`));
      final = result;
    }
    assert.ok(final, `the run in ${out} did not complete`);
    assertIntact(out, "at the end");
    assert.deepEqual(readdirSync(out).sort(), [...assertManifestHolds(out, "the model folder"), "manifest.json"].sort(), `${out} should hold the model's files and nothing else`);
    assert.equal(maxWeightDifference(modelWeights(out), modelWeights(reference)), 0, `the weights in ${out} differ from the uninterrupted run's`);
    return kills;
  }

  const aimed: Moment[] = ["recording", "saving", "end"];
  const aimedKills = await series(join(dir, "aimed"), "1", () => aimed.shift());
  assert.deepEqual(
    aimedKills.map((k) => k.moment),
    ["recording", "saving", "end"],
    "every aimed kill should happen before the run ends",
  );
  assert.ok(aimedKills.some((k) => k.moment === "saving" && k.inProgress.length > 0), "at least one kill should land while a checkpoint is being written");

  // Random kills while training remains: an attempt that starts after the final checkpoint only saves the model, and is let finish.
  const random: Kill[] = [];
  for (let s = 0; random.length < RANDOM_KILLS; s++) {
    const out = join(dir, `random-${s}`);
    const trainingLeft = () => committedPosition(checkpointDir(out))?.steps !== TOTAL_STEPS;
    random.push(...(await series(out, "20ms", (kills) => (random.length + kills.length < RANDOM_KILLS && trainingLeft() ? "random" : undefined))));
  }
  const describe = (k: Kill) => `${k.moment}@${k.step ?? (k.recorded ? "recorded" : "none")}${k.inProgress.length ? " (mid-save)" : ""} ${k.ms} ms`;
  t.diagnostic(`uninterrupted: ${Math.round(span)} ms; aimed kills: ${aimedKills.map(describe).join("; ")}`);
  t.diagnostic(`random kills: ${random.map(describe).join("; ")}`);
  t.diagnostic(`total ${Math.round(performance.now() - started)} ms`);
  assert.equal(random.length, RANDOM_KILLS, `every random kill should land before the run ends: ${random.map(describe).join("; ")}`);
});

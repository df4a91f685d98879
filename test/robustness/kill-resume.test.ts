/**
 * `mtl train` killed with SIGKILL at seeded random moments (during start-up,
 * between steps, while a checkpoint is being written, after the last one),
 * and resumed each time until the run completes. After every kill, every
 * file a manifest lists must match it and the checkpoint must load; at the
 * end, the model must have exactly the weights of an uninterrupted run with
 * the same seed, with the default shuffle buffer, and the folder must hold
 * no leftover file.
 *
 * Kill moments are tied to progress (the step of the committed checkpoint,
 * a write seen in progress), not to wall-clock time, so the test means the
 * same on a loaded machine.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { checkpointDir, loadCheckpoint } from "../../src/train/checkpoint-store.js";
import { verifyModelDir } from "../../src/train/model-dir.js";
import { Rng } from "../../src/util/random.js";
import { type CliResult, spawnCli, tempDir } from "../helpers/cli.js";
import { cliFrom } from "../helpers/paths.js";
import { assertOk, runCliAsync } from "../helpers/train-cli.js";
import { assertManifestHolds, committedPosition, maxWeightDifference, modelWeights, smallRun, waitFor } from "../train/checkpoint-fixtures.js";

const cli = cliFrom(import.meta.url);
const { dir } = tempDir("kill-resume");

/** 800 rows in batches of 32, 2 epochs: 50 steps. */
const ROWS = 800;
const TOTAL_STEPS = 50;

/**
 * startup: before any checkpoint (loading, fitting); step: a few steps after
 * the last kill's checkpoint, plus up to 150 ms; writing: as soon as a
 * checkpoint write is seen in progress; end: after the final checkpoint
 * (evaluating or saving the model).
 */
type Moment = "startup" | "step" | "writing" | "end";
const PLAN: Moment[] = ["startup", "step", "writing", "step", "writing", "end"];

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
async function killAt(moment: Moment, run: ReturnType<typeof spawnCli>, ckpt: string, rng: Rng): Promise<boolean> {
  const from = committedPosition(ckpt)?.steps ?? 0;
  const options = { timeoutMs: 120_000, intervalMs: 1, done: run.done };
  const stepReached = (target: number) => () => (committedPosition(ckpt)?.steps ?? 0) >= target;
  let reached: boolean;
  switch (moment) {
    case "startup":
      await new Promise((r) => setTimeout(r, 100 + rng.int(900)));
      reached = committedPosition(ckpt) === null;
      break;
    case "step":
      reached = await waitFor(stepReached(from + 1 + rng.int(6)), options);
      if (reached) await new Promise((r) => setTimeout(r, rng.int(150)));
      break;
    case "writing":
      reached = (await waitFor(stepReached(from + 1 + rng.int(4)), options)) && (await waitFor(() => writeInProgress(ckpt).length > 0, options));
      break;
    case "end":
      reached = await waitFor(() => committedPosition(ckpt)?.steps === TOTAL_STEPS, options);
      // Within the final evaluation and model save, which take longer than this.
      if (reached) await new Promise((r) => setTimeout(r, rng.int(100)));
      break;
  }
  if (!reached) return false;
  return run.child.kill("SIGKILL");
}

/** Every file a manifest lists matches it, the checkpoint loads, and nothing else but in-progress files is there. */
function assertIntact(out: string, ckpt: string, when: string): void {
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

test("SIGKILL at random moments, --resume each time: no file is ever corrupt, and the weights equal an uninterrupted run's", async (t) => {
  const started = performance.now();
  const { spec, data } = await smallRun(dir, ROWS);
  const reference = join(dir, "reference");
  // The uninterrupted run goes alongside the interrupted ones; only its weights matter.
  const uninterrupted = runCliAsync(cli, ["train", spec, "--data", data, "--out", reference, "--quiet"], { cwd: dir, timeoutMs: 180_000 });

  const rng = new Rng("kill-resume");
  const out = join(dir, "killed");
  const ckpt = checkpointDir(out);
  const kills: { moment: Moment; step: number | null; inProgress: string[]; ms: number }[] = [];
  let final: CliResult | undefined;
  for (let attempt = 0; attempt < 20 && final === undefined; attempt++) {
    const resuming = existsSync(join(ckpt, "manifest.json"));
    // Resume both ways: `--resume DIR` alone (all from the checkpoint), and with the spec and data again.
    const args = !resuming
      ? ["train", spec, "--data", data, "--out", out, "--checkpoint-every", "1"]
      : attempt % 2 === 0
        ? ["train", "--resume", out]
        : ["train", spec, "--data", data, "--resume", out];
    const moment = PLAN[kills.length];
    const run = spawnCli(cli, args, { cwd: dir, timeoutMs: 120_000 });
    const killed = moment !== undefined && (await killAt(moment, run, ckpt, rng));
    const result = await run.done;
    if (killed && result.signal === "SIGKILL") {
      const inProgress = writeInProgress(ckpt);
      kills.push({ moment: moment!, step: committedPosition(ckpt)?.steps ?? null, inProgress, ms: Math.round(result.ms) });
      assertIntact(out, ckpt, `after kill ${kills.length} (${moment})`);
      continue;
    }
    assertOk(result, `train ${args.join(" ")}`);
    final = result;
  }
  assert.ok(final, "the run did not complete");
  assertOk(await uninterrupted, "the uninterrupted run");
  t.diagnostic(`kills: ${kills.map((k) => `${k.moment}@${k.step ?? "none"}${k.inProgress.length ? ` (mid-save: ${k.inProgress.join(", ")})` : ""} ${k.ms} ms`).join("; ")}`);
  t.diagnostic(`total ${Math.round(performance.now() - started)} ms`);

  assert.equal(kills.length, PLAN.length, `every planned kill should happen before the run ends: ${JSON.stringify(kills)}`);
  assert.ok(kills.some((k) => k.moment === "writing" && k.inProgress.length > 0), "at least one kill should land while a checkpoint is being written");
  assert.match(final.stderr, /saved the model to .* after 50 steps/);

  assertIntact(out, ckpt, "at the end");
  assert.deepEqual(readdirSync(out).sort(), [...assertManifestHolds(out, "the model folder"), "manifest.json"].sort(), "the model folder should hold the model's files and nothing else");
  assert.ok(!existsSync(ckpt), "the checkpoint is deleted once the model is saved");
  assert.equal(maxWeightDifference(modelWeights(out), modelWeights(reference)), 0, "the resumed run's weights differ from the uninterrupted run's");
});

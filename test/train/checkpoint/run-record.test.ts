/**
 * The run record (OUT/run.json) and what `mtl train` does with a folder that
 * already holds a run, from the CLI compiled beside this test: a run killed
 * before its first checkpoint is resumed from step 0 (from another working
 * folder: the record's paths are absolute), a fresh run is refused over an
 * unfinished one, and over a finished model the same command has nothing
 * to do while another run needs --force.
 */
import assert from "node:assert/strict";
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { checkpointDir } from "../../../src/train/checkpoint/store.js";
import { readRunRecord, runRecordPath } from "../../../src/train/checkpoint/run-record.js";
import { assertUsageError, type CliResult, spawnCli, tempDir } from "../../helpers/cli.js";
import { cliFrom } from "../../helpers/paths.js";
import { assertOk, assertOneLineError, fingerprint, linesOf, runCliAsync } from "../../helpers/train-cli.js";
import { assertManifestHolds, committedPosition, maxWeightDifference, modelWeights, smallRun, waitFor } from "./fixtures.js";

const cli = cliFrom(import.meta.url);
const { dir } = tempDir("run-record");
/** The project folder: the spec, the data and the models, named relative to it. */
const project = join(dir, "project");
const mtl = (args: readonly string[], cwd = project): Promise<CliResult> => runCliAsync(cli, args, { cwd });
/** 480 rows in batches of 32, 2 epochs: 30 steps. */
const ROWS = 480;

describe("mtl train records its run", { concurrency: 2 }, () => {
  before(async () => {
    mkdirSync(project, { recursive: true });
    await smallRun(project, ROWS);
  });

  test("killed before its first checkpoint: the same fresh command is refused, pointing at --resume, which starts the recorded run from step 0, from another working folder too", async () => {
    const reference = mtl(["train", "small.mtl", "--data", "train.csv", "--out", "reference", "--quiet"]);
    const run = spawnCli(cli, ["train", "small.mtl", "--data", "train.csv", "--out", "killed"], { cwd: project });
    // The record is renamed into place complete: once it exists, it is readable.
    const recorded = await waitFor(() => existsSync(runRecordPath(join(project, "killed"))), { timeoutMs: 60_000, intervalMs: 1, done: run.done });
    if (!recorded) assert.fail(`no run record appeared:\n${(await run.done).stderr}`);
    run.child.kill("SIGKILL");
    const killed = await run.done;
    assert.equal(killed.signal, "SIGKILL", `the run ended before the kill: exit ${killed.status}\n${killed.stderr}`);
    // The default interval is by time (a minute): no checkpoint this early.
    assert.equal(committedPosition(checkpointDir(join(project, "killed"))), null);

    const record = readRunRecord(join(project, "killed"))!;
    assert.equal(record.run.data.file, join(project, "train.csv"), "the data's path is recorded absolute");
    assert.deepEqual([record.run.checkpointEvery, record.run.checkpointSeconds], [0, 60], "the default interval: every minute");
    assert.equal(record.spec, readFileSync(join(project, "small.mtl"), "utf8"));

    const fresh = await mtl(["train", "small.mtl", "--data", "train.csv", "--out", "killed"]);
    assert.equal(fresh.status, 1, fresh.stderr);
    // The killed run's lock is taken over (see out-lock.test.ts), then the run is refused.
    assert.deepEqual(linesOf(fresh.stderr), [
      `mtl: warning: killed/.lock was left by pid ${run.child.pid}, which is no longer running; taking the folder over`,
      "mtl: error: killed holds an unfinished run (no checkpoint yet): continue it with `mtl train --resume killed`, or pass --force to start afresh",
    ]);

    const elsewhere = join(dir, "elsewhere");
    mkdirSync(elsewhere, { recursive: true });
    const resumed = await mtl(["train", "--resume", join("..", "project", "killed")], elsewhere);
    assertOk(resumed, "--resume from another working folder");
    assert.match(resumed.stderr, /^no checkpoint in \.\.\/project\/killed yet: starting the recorded run from step 0$/m);
    assert.match(resumed.stderr, /^read 480 training rows/m, "it fits the encoding: there was nothing to resume");
    assert.match(resumed.stderr, /saved the model to \.\.\/project\/killed after 30 steps/);
    assertOk(await reference, "the uninterrupted run");
    assert.equal(maxWeightDifference(modelWeights(join(project, "killed")), modelWeights(join(project, "reference"))), 0);
    const listed = assertManifestHolds(join(project, "killed"), "the model folder");
    assert.ok(listed.includes("run.json"), "the model's manifest lists its run record");
    assert.deepEqual(readRunRecord(join(project, "killed"))!.run.data, { file: join(project, "train.csv"), ...fingerprint(join(project, "train.csv")) }, "the finished record names the data's size and SHA-256");
  });

  test("over a finished model: the same command has nothing to do; other options or other data at the same path are refused; --force trains again", async () => {
    copyFileSync(join(project, "train.csv"), join(project, "daily.csv"));
    const command = ["train", "small.mtl", "--data", "daily.csv", "--out", "finished", "--max-steps", "3", "--quiet"];
    assertOk(await mtl(command), "the first run");
    const manifest = readFileSync(join(project, "finished", "manifest.json"), "utf8");

    const again = await mtl(command);
    assertOk(again, "the same command again");
    assert.match(again.stderr, /^finished already holds the finished model of this run \(the same spec, data and options; saved [^)]+\): nothing to do$/m);
    assert.equal(again.stdout, "");
    assert.equal(readFileSync(join(project, "finished", "manifest.json"), "utf8"), manifest, "the model is left as it is");
    assertOk(await mtl(["train", "--resume", "finished"]), "--resume over the finished run");

    const reseeded = await mtl([...command, "--seed", "8"]);
    assertOneLineError(reseeded, "another seed", "finished", /^mtl: error: finished holds a finished model trained by another run \(train\.seed is 7 in the finished run but 8 now\): pass --force to train it again \(replacing it\), or choose another --out folder$/);
    // The validation file by its path, not a cut-off JSON object of its read options.
    const validated = await mtl([...command, "--valid", "train.csv"]);
    assertOneLineError(validated, "another --valid", "finished", /\(--valid is absent in the finished run but \/\S*\/train\.csv now\)/);
    appendFileSync(join(project, "daily.csv"), readFileSync(join(project, "train.csv"), "utf8").split("\n")[1] + "\n");
    const newData = await mtl(command);
    assertOneLineError(newData, "new data at the same path", "daily.csv", /the training data differ: .*daily\.csv has \d+ bytes .*pass --force/);

    const forced = await mtl([...command, "--seed", "8", "--force"]);
    assertOk(forced, "--force");
    assert.equal(readRunRecord(join(project, "finished"))!.ir.train.seed, 8, "the model is the forced run's");
    assertManifestHolds(join(project, "finished"), "the replaced model");

    assertUsageError(await mtl(["train", "small.mtl", "--data", "daily.csv", "--resume", "finished", "--force"]), "--force with --resume", /--force starts afresh and --resume continues: give one of them/);
    for (const bad of ["5x", "-1", "0s", "1.5"]) {
      assertUsageError(await mtl([...command, "--checkpoint-every", bad]), `--checkpoint-every ${bad}`, /--checkpoint-every must be a number of steps \(e\.g\. 500\), a time \(e\.g\. 90s, 2m, 1h\) or 0/);
    }
  });

  test("the full command with --resume starts a run in an empty folder; a damaged run record is refused with the file and the fix", async () => {
    const started = await mtl(["train", "small.mtl", "--data", "train.csv", "--resume", "scheduled", "--max-steps", "2", "--quiet"]);
    assertOk(started, "the full command with --resume into a new folder");
    assert.doesNotMatch(started.stderr, /no checkpoint in/, "nothing was recorded there: a plain start");

    const damaged = join(project, "damaged");
    mkdirSync(damaged, { recursive: true });
    writeFileSync(runRecordPath(damaged), "{");
    for (const args of [["train", "--resume", "damaged"], ["train", "small.mtl", "--data", "train.csv", "--out", "damaged"]]) {
      assertOneLineError(await mtl(args), `${args.join(" ")} over a damaged record`, "damaged/run.json", /cannot be read .*: it was altered or written by another mtl version; train again with --force to start afresh$/);
    }
    assertOk(await mtl(["train", "small.mtl", "--data", "train.csv", "--out", "damaged", "--force", "--max-steps", "2", "--quiet"]), "--force over a damaged record");
  });
});

/**
 * One `mtl train` per --out folder, from the CLI compiled beside this test:
 * a second run into a folder in use is refused before any work, a lock left
 * by a process that is gone (or left empty by one killed while taking it) is taken over, and the lock is removed however
 * the run ends (model saved, error, Ctrl-C).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { checkpointDir } from "../../src/train/checkpoint/store.js";
import { assertNoCrash, assertUsageError, type CliResult, spawnCli, tempDir } from "../helpers/cli.js";
import { cliFrom } from "../helpers/paths.js";
import { assertOk, runCliAsync, withField } from "../helpers/train-cli.js";
import { assertManifestHolds, committedPosition, smallRun, waitFor } from "./checkpoint/fixtures.js";

const cli = cliFrom(import.meta.url);
const { dir } = tempDir("out-lock");
const mtl = (args: readonly string[]): Promise<CliResult> => runCliAsync(cli, args, { cwd: dir });
let spec: string;
let data: string;

/** The lock file, by its documented name. */
const lockOf = (out: string) => join(out, ".lock");

function writeLock(out: string, owner: { pid: number; hostname: string }): void {
  mkdirSync(out, { recursive: true });
  writeFileSync(lockOf(out), JSON.stringify({ ...owner, started: "2025-01-01T00:00:00.000Z" }) + "\n");
}

/** The pid of a process that has run and been reaped, so nothing runs under it (barring reuse, which takes a full pid cycle). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(child.stdout);
}

describe("mtl train locks its --out folder", { concurrency: 2 }, () => {
  before(async () => {
    ({ spec, data } = await smallRun(dir, 1600));
  });

  test("a second train or resume into a folder in use is refused at once (exit 2), naming the folder, the pid and the way out; Ctrl-C then releases the lock", async () => {
    const out = join(dir, "busy");
    const first = spawnCli(cli, ["train", spec, "--data", data, "--out", out, "--checkpoint-every", "1", "--epochs", "1000"], { cwd: dir });
    const training = await waitFor(() => (committedPosition(checkpointDir(out))?.steps ?? 0) >= 1, { timeoutMs: 60_000, done: first.done });
    if (!training) assert.fail(`the first run saved no checkpoint:\n${(await first.done).stderr}`);
    const owner = JSON.parse(readFileSync(lockOf(out), "utf8")) as { pid: number; hostname: string; started: string };
    assert.deepEqual(owner, { pid: first.child.pid, hostname: hostname(), started: owner.started }, "the lock names the training process");
    assert.ok(Math.abs(Date.parse(owner.started) - Date.now()) < 120_000, `the lock's start time: ${owner.started}`);

    const [fresh, resume] = await Promise.all([mtl(["train", spec, "--data", data, "--out", out]), mtl(["train", "--resume", out])]);
    for (const [result, what] of [
      [fresh, "a second train"],
      [resume, "a resume"],
    ] as const) {
      const line = assertUsageError(result, `${what} while the folder is in use`);
      assert.equal(
        line,
        `mtl: ${out} is in use by another mtl train (pid ${owner.pid} on ${owner.hostname}, started ${owner.started}): ` +
          `wait for it to finish, train into another --out folder, or delete ${lockOf(out)} if that process is gone`,
      );
      assert.doesNotMatch(result.stderr, /backend:/, `${what}: refused before loading a backend`);
    }

    first.child.kill("SIGINT");
    const stopped = await first.done;
    assertNoCrash(stopped, "the first run, after Ctrl-C");
    assert.equal(stopped.status, 130, stopped.stderr);
    assert.ok(!existsSync(lockOf(out)), "Ctrl-C releases the lock");
    assertManifestHolds(checkpointDir(out), "the first run's checkpoint, untouched by the refused runs");
  });

  test("a lock left by a process that no longer runs is taken over with a warning, and removed once the model is saved", async () => {
    const out = join(dir, "stale");
    const pid = deadPid();
    writeLock(out, { pid, hostname: hostname() });
    const result = await mtl(["train", spec, "--data", data, "--out", out, "--max-steps", "2", "--quiet"]);
    assertOk(result, "train over a stale lock");
    assert.match(result.stderr, new RegExp(`^mtl: warning: ${lockOf(out)} was left by pid ${pid}, which is no longer running; taking the folder over$`, "m"));
    assert.deepEqual(readdirSync(out).sort(), [...assertManifestHolds(out, "the model folder"), "manifest.json"].sort(), "the model and nothing else: no lock left");
  });

  test("a lock left empty (a run killed between creating it and writing its owner) is taken over once a few seconds old; a newer empty one is respected", async () => {
    const out = join(dir, "empty-lock");
    mkdirSync(out, { recursive: true });
    writeFileSync(lockOf(out), "");
    const args = ["train", spec, "--data", data, "--out", out, "--max-steps", "2", "--quiet"];
    // Dated an hour ahead: whatever the clock does while the CLI starts, it counts as just created.
    const ahead = new Date(Date.now() + 3_600_000);
    utimesSync(lockOf(out), ahead, ahead);
    assertUsageError(await mtl(args), "train into a folder whose lock is being taken", /is in use by another mtl train \(.*\.lock cannot be read\)/);
    const past = new Date(Date.now() - 60_000);
    utimesSync(lockOf(out), past, past);
    const result = await mtl(args);
    assertOk(result, "train over an empty lock a minute old");
    assert.match(result.stderr, new RegExp(`^mtl: warning: ${lockOf(out)} was left empty by a run killed while taking it; taking the folder over$`, "m"));
    assert.ok(!existsSync(lockOf(out)), "the lock is released");
  });

  test("a lock from another host cannot be checked, so it is respected", async () => {
    const out = join(dir, "other-host");
    writeLock(out, { pid: 1, hostname: "elsewhere.invalid" });
    const result = await mtl(["train", spec, "--data", data, "--out", out]);
    assertUsageError(result, "train into a folder locked on another host", /is in use by another mtl train \(pid 1 on elsewhere\.invalid, started 2025-01-01T00:00:00\.000Z\)/);
    assert.deepEqual(readdirSync(out), [".lock"], "the other host's lock is left as it is");
  });

  test("the lock is removed when the run fails, and a folder it created is not left behind empty", async () => {
    const bad = join(dir, "bad-price.csv");
    writeFileSync(bad, withField(readFileSync(data, "utf8"), 100, "price", "cheap"));
    const existing = join(dir, "existing");
    mkdirSync(existing);
    const created = join(dir, "created", "model");
    const [intoExisting, intoCreated] = await Promise.all([
      mtl(["train", spec, "--data", bad, "--out", existing, "--quiet"]),
      mtl(["train", spec, "--data", bad, "--out", created, "--quiet"]),
    ]);
    for (const result of [intoExisting, intoCreated]) {
      assertNoCrash(result, "train on bad data");
      assert.equal(result.status, 1, result.stderr);
      assert.match(result.stderr, /bad-price\.csv:100: error: /);
    }
    assert.deepEqual(readdirSync(existing), [], "the folder stays, without the lock");
    assert.ok(!existsSync(join(dir, "created")), "the folders created for the lock are removed");
  });
});

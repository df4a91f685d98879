/**
 * Ctrl-C and SIGTERM end a command with the shell's status for the signal,
 * a message worded by the signal that arrived, and no half-written hidden
 * file beside the output; `mtl train` stops after the current step and says
 * how to send the same signal again.
 */
import assert from "node:assert/strict";
import { mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { assertNoCrash, spawnCli, tempDir } from "../helpers/cli.js";
import { cliFrom } from "../helpers/paths.js";
import { smallRun, tempFiles, trainUntilCheckpoint, waitFor } from "../train/checkpoint/fixtures.js";

const cli = cliFrom(import.meta.url);
const { dir } = tempDir("signals");

for (const [signal, status, name] of [
  ["SIGTERM", 143, "SIGTERM"],
  ["SIGINT", 130, "Ctrl-C"],
] as const) {
  test(`${name} while generate -o writes: exit ${status}, the temp file removed, the message names ${name}`, async () => {
    const folder = join(dir, signal);
    mkdirSync(folder);
    const run = spawnCli(cli, ["generate", "esmm", "--rows", "100000000", "-o", "big.csv"], { cwd: folder });
    const writing = await waitFor(() => tempFiles(folder).length > 0, { timeoutMs: 30_000, done: run.done });
    if (!writing) assert.fail(`no temp file appeared:\n${(await run.done).stderr}`);
    run.child.kill(signal);
    const result = await run.done;
    assertNoCrash(result, `generate, then ${name}`);
    assert.equal(result.status, status, `expected exit ${status}, got ${result.status} (signal ${result.signal}):\n${result.stderr}`);
    assert.equal(result.stderr.trim(), `mtl: ${name}: stopped; the unfinished output was removed`);
    assert.deepEqual(readdirSync(folder), [], "neither the output nor its temp file may remain");
  });
}

test("SIGTERM during training speaks of SIGTERM, not Ctrl-C, and exits 143", async () => {
  mkdirSync(join(dir, "train"));
  const { spec, data } = await smallRun(join(dir, "train"), 1600);
  const out = join(dir, "train", "model");
  const run = await trainUntilCheckpoint(cli, { spec, data, out, cwd: dir }, 1);
  run.child.kill("SIGTERM");
  const result = await run.done;
  assertNoCrash(result, "train, then SIGTERM");
  assert.equal(result.status, 143, result.stderr);
  assert.match(result.stderr, /mtl: SIGTERM: stopping after the current step and saving a checkpoint \(send SIGTERM again to quit at once\)/);
  assert.doesNotMatch(result.stderr, /Ctrl-C/);
});

/**
 * Checkpoints through `mtl train`, from the CLI compiled beside this test:
 * Ctrl-C saves and says how to resume, a resume says where it continues, a
 * NaN loss keeps the last good checkpoint, an unwritable --out fails before
 * any work, and a resume that does not fit says what differs.
 */
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { checkpointDir, loadCheckpoint } from "../../../src/train/checkpoint/store.js";
import { assertNoCrash, assertUsageError, type CliResult, tempDir } from "../../helpers/cli.js";
import { cliFrom } from "../../helpers/paths.js";
import { assertOk, linesOf, runCliAsync, withField } from "../../helpers/train-cli.js";
import { assertManifestHolds, smallRun, trainUntilCheckpoint } from "./fixtures.js";

const cli = cliFrom(import.meta.url);
const { dir } = tempDir("ckpt-cli");
const mtl = (args: readonly string[]): Promise<CliResult> => runCliAsync(cli, args, { cwd: dir });
let spec: string;
let data: string;

/** An order-value task next to a click task, to make one row's amount overflow the squared error. */
const GMV_SPEC = `model gmv "order value with one absurd amount"

feature user_id  : categorical(buckets: 500, dim: 8)
feature price    : numeric(transform: log1p, normalize: zscore)

input x = concat(*)
tower t = mlp(x, [16])

task ctr : binary = t label click
task gmv : regression = t label amount

train {
  optimizer: adam(lr: 0.01)
  batch: 32
  epochs: 2
  seed: 7
}
`;

/** An error run: exit 1, no stack trace, and the one "mtl: error: ..." line. */
function errorLine(result: CliResult, what: string): string {
  assertNoCrash(result, what);
  assert.equal(result.status, 1, `${what}: expected exit 1, got ${result.status}\n${result.stderr}`);
  const errors = linesOf(result.stderr).filter((l) => l.startsWith("mtl: error: "));
  assert.equal(errors.length, 1, `${what}: expected one "mtl: error:" line, got:\n${result.stderr}`);
  return errors[0]!;
}

describe("mtl train checkpoints", { concurrency: 2 }, () => {
  before(async () => {
    ({ spec, data } = await smallRun(dir, 1600));
  });

  test("Ctrl-C stops after the current step, saves a checkpoint, exits 130 and says how to resume; --resume continues from it", async () => {
    const out = join(dir, "sigint");
    const run = await trainUntilCheckpoint(cli, { spec, data, out, cwd: dir }, 2);
    run.child.kill("SIGINT");
    const stopped = await run.done;
    assertNoCrash(stopped, "train, then Ctrl-C");
    assert.equal(stopped.status, 130, `expected exit 130 after Ctrl-C, got ${stopped.status}:\n${stopped.stderr}`);
    assert.match(stopped.stderr, /Ctrl-C: stopping after the current step and saving a checkpoint/);
    const said = /mtl: interrupted: stopped at step (\d+); the checkpoint \(step \1, epoch (\d+), batch (\d+)\) is in (.*)\.\nContinue with: mtl train --resume (.*)\n/.exec(stopped.stderr);
    assert.ok(said, `the message should give the step, the checkpoint and the command to continue:\n${stopped.stderr}`);
    const [, steps, epoch, batch, where, resumeDir] = said;
    assert.equal(where, checkpointDir(out));
    assert.equal(resumeDir, out);
    assertManifestHolds(checkpointDir(out), "the checkpoint after Ctrl-C");
    const saved = loadCheckpoint(checkpointDir(out)).meta.position;
    assert.deepEqual(saved, { steps: Number(steps), epoch: Number(epoch), batch: Number(batch), epochComplete: false });
    assert.ok(!existsSync(join(out, "manifest.json")), "no model is saved on Ctrl-C, only the checkpoint");

    // A resume must match: another seed is refused with what differs.
    const reseeded = await mtl(["train", spec, "--data", data, "--resume", out, "--seed", "8"]);
    assert.match(errorLine(reseeded, "resume with another seed"), /cannot resume from .*: this run differs from the one that wrote the checkpoint: train\.seed is 7 in the checkpoint but 8 now/);

    // `--resume DIR` alone reuses the spec, data and options; --max-steps keeps it short.
    const resumed = await mtl(["train", "--resume", out, "--max-steps", String(saved.steps + 3)]);
    assertOk(resumed, "train --resume");
    assert.match(resumed.stderr, new RegExp(`^resumed from step ${saved.steps} \\(epoch ${saved.epoch}, batch ${saved.batch}\\); 1,600 training rows$`, "m"));
    assert.doesNotMatch(resumed.stderr, /^read 1,600 training rows/m, "a resume does not fit the encoding again");
    assert.match(resumed.stderr, new RegExp(`saved the model to ${out} after ${saved.steps + 3} steps`));
    assertManifestHolds(out, "the model folder");
    assert.ok(!existsSync(checkpointDir(out)), "the checkpoint is deleted once the model is saved");
    // Run again by a scheduler: nothing to do; with other settings, refused.
    const again = await mtl(["train", "--resume", out]);
    assertOk(again, "resume a finished run");
    assert.match(again.stderr, /sigint already holds the finished model of this run \(the same spec, data and options; saved [^)]+\): nothing to do$/m);
    const more = await mtl(["train", "--resume", out, "--max-steps", String(saved.steps + 5)]);
    assert.match(errorLine(more, "resume a finished run with more steps"), /^mtl: error: .*sigint holds a finished model trained by another run \(--max-steps is \d+ in the finished run but \d+ now\): pass --force to train it again/);
  });

  test("a loss that becomes infinite stops with the step and the task, and the last good checkpoint stays intact", async () => {
    const file = join(dir, "absurd-amount.csv");
    const rows = readFileSync(data, "utf8").split("\n").slice(0, 321).join("\n") + "\n";
    // Row 320, in the 10th batch of 32 when read in file order: its squared error overflows float32.
    writeFileSync(file, withField(rows, 321, "amount", "1e20"));
    writeFileSync(join(dir, "gmv.mtl"), GMV_SPEC);
    const out = join(dir, "nan");
    const result = await mtl(["train", "gmv.mtl", "--data", file, "--out", out, "--shuffle-buffer", "1", "--checkpoint-every", "1"]);
    const line = errorLine(result, "train to a non-finite loss");
    assert.match(line, /^mtl: error: at step 10 \(epoch 1\) the loss of task 'gmv' became (Infinity|NaN)\. Lower the learning rate, check the labels of that task in .*absurd-amount\.csv/);
    assert.match(line, new RegExp(`The last good checkpoint \\(step 9, epoch 1, batch 9\\) in ${checkpointDir(out)} is intact; .*continue from it with \`mtl train --resume ${out} --accept-changes\``));
    assertManifestHolds(checkpointDir(out), "the last good checkpoint");
    const kept = loadCheckpoint(checkpointDir(out));
    assert.equal(kept.meta.position.steps, 9);
    assert.ok(kept.state.weights.every((w) => w.values.every(Number.isFinite)), "the checkpoint's weights are finite");
    assert.ok(!existsSync(join(out, "manifest.json")), "no model is saved");
    assert.ok(!existsSync(join(out, ".lock")), "the --out lock is released (see out-lock.test.ts)");
  });

  test("an --out folder that cannot be written fails before any work, and creates nothing", async () => {
    writeFileSync(join(dir, "a-file"), "");
    const result = await mtl(["train", spec, "--data", data, "--out", join("a-file", "model")]);
    assert.match(errorLine(result, "--out inside a file"), /^mtl: error: cannot write to a-file\/model: .*a-file is a file, not a folder; choose another --out folder$/);
    assert.doesNotMatch(result.stderr, /read 1,600 training rows/, "it should fail before reading the data");
  });

  test("an --out folder of another tool's model.json is refused before any work and left as it was; --force overwrites; other files are no obstacle", async () => {
    const out = join(dir, "tfjs-export");
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, "model.json"), "{\"theirs\": true}\n");
    writeFileSync(join(out, "notes.txt"), "mine\n");
    // One after the other: the second would find the first's lock.
    for (const how of ["--out", "--resume"]) {
      const result = await mtl(["train", spec, "--data", data, how, "tfjs-export", "--max-steps", "2", "--quiet"]);
      assert.equal(errorLine(result, "--out over model.json"), "mtl: error: tfjs-export is not an mtl model folder, but holds model.json, which saving the model would overwrite: choose another --out folder (a new or empty one), or pass --force to overwrite them");
    }
    assert.equal(readFileSync(join(out, "model.json"), "utf8"), "{\"theirs\": true}\n");
    assert.ok(!existsSync(join(out, "run.json")), "nothing was written");
    assertOk(await mtl(["train", spec, "--data", data, "--out", "tfjs-export", "--max-steps", "2", "--quiet", "--force"]), "--force");
    assertManifestHolds(out, "--force over model.json");
    assert.equal(readFileSync(join(out, "notes.txt"), "utf8"), "mine\n", "a file of another name stays");
  });

  test("an --out folder without write permission (chmod) fails before any work", { skip: process.getuid?.() === 0 && "running as root, which chmod does not stop (tested with injected failures in checkpoint/store.test.ts)" }, async () => {
    const locked = join(dir, "locked");
    mkdirSync(locked, { recursive: true });
    chmodSync(locked, 0o555);
    try {
      const result = await mtl(["train", spec, "--data", data, "--out", join("locked", "model")]);
      assert.match(errorLine(result, "--out in a read-only folder"), /^mtl: error: cannot write to locked\/model \(it would be created in .*locked\): permission denied \(EACCES\); make the folder writable or choose another --out folder$/);
    } finally {
      chmodSync(locked, 0o755);
    }
  });

  test("--resume without a checkpoint, or with another --out, is refused clearly", async () => {
    mkdirSync(join(dir, "empty"), { recursive: true });
    const [none, twoFolders, acceptAlone] = await Promise.all([
      mtl(["train", "--resume", "empty"]),
      mtl(["train", spec, "--resume", "empty", "--out", "elsewhere"]),
      mtl(["train", spec, "--data", data, "--out", "x", "--accept-changes"]),
    ]);
    assert.equal(errorLine(none, "--resume without a run"), "mtl: error: there is no run to resume in empty (no run.json and no checkpoint): start one with `mtl train SPEC --data FILE --resume empty`");
    assertUsageError(twoFolders, "--resume and another --out", /--resume empty continues the run in that folder, but --out names elsewhere/);
    assertUsageError(acceptAlone, "--accept-changes without --resume", /--accept-changes only applies with --resume/);
    assertUsageError(await mtl(["train", spec, "--out", "x"]), "no --data", /missing --data/);
  });
});

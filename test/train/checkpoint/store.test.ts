/**
 * The checkpoint folder on its own, without TensorFlow.js: a round trip,
 * one checkpoint kept, damaged files refused with the file named, and
 * failed writes (a full disk injected, a read-only folder) leaving the
 * previous checkpoint intact.
 */
import assert from "node:assert/strict";
import { chmodSync, readdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { basename, join } from "node:path";
import { test } from "node:test";
import { compileSource } from "../../../src/compiler.js";
import { fitEncoding, type EncodingState } from "../../../src/data/encode/index.js";
import { readRecords } from "../../../src/data/readers/index.js";
import type { ValidIR } from "../../../src/ir/types.js";
import type { TrainStepState } from "../../../src/runtime/graph/index.js";
import { irHash } from "../../../src/train/checkpoint/compat.js";
import { CHECKPOINT_VERSION, type CheckpointMeta } from "../../../src/train/checkpoint/format.js";
import { checkpointManifestText } from "../../../src/train/checkpoint/manifest.js";
import { checkpointWriteError } from "../../../src/train/checkpoint/messages.js";
import { loadCheckpoint, saveCheckpoint, type CheckpointIo, type CheckpointToSave } from "../../../src/train/checkpoint/store.js";
import { CheckpointError } from "../../../src/errors.js";
import { fingerprintBytes } from "../../../src/model-dir/file-manifest.js";
import { readOptionsFor } from "../../../src/train/read-options.js";
import { writeFilesAtomic, type WriteStage } from "../../../src/util/atomic-write.js";
import { assertManifestHolds, SMALL_SPEC, smallRun, tempFiles } from "./fixtures.js";
import { tempDir } from "../fixtures.js";

const ir = compileSource(SMALL_SPEC, "small.mtl").ir as ValidIR;
const work = tempDir("ckpt-store");
let encoding: EncodingState;

async function fitted(): Promise<EncodingState> {
  if (!encoding) {
    const { data } = await smallRun(work, 200);
    encoding = await fitEncoding(ir, readRecords(data, readOptionsFor(data, ir.data)), data);
  }
  return encoding;
}

/** A train step state with every kind of array: float and int weights, optimiser slots, sparse slots, a scalar. */
function stateAt(steps: number): TrainStepState {
  const f = (n: number, k: number) => Float32Array.from({ length: n }, (_, i) => Math.fround((i + 1) * k * 0.1 - 1));
  return {
    steps,
    weights: [
      { name: "dense/kernel", shape: [3, 2], dtype: "float32", values: f(6, steps) },
      { name: "lookup/ids", shape: [4], dtype: "int32", values: Int32Array.from([1, -2, 3, steps]) },
    ],
    optimizer: [{ name: "iter", shape: [], dtype: "float32", values: Float32Array.of(steps) }],
    sparse: [{ table: "user_id", slots: [f(8, steps), f(8, steps + 1)] }],
    logVariances: { ctr: 0.25 },
  };
}

function checkpointAt(steps: number): CheckpointToSave {
  return {
    meta: {
      format: "mtl-checkpoint",
      version: CHECKPOINT_VERSION,
      position: { steps, epoch: 1, batch: steps, epochComplete: false },
      finished: false,
      irHash: irHash(ir),
      ir,
      spec: SMALL_SPEC,
      run: {
        data: { file: "/data/train.csv", bytes: 10, sha256: "0".repeat(64) },
        read: readOptionsFor("train.csv", ir.data),
        valid: null,
        shuffleBuffer: 10_000,
        skipBadRows: 0,
        maxSteps: null,
        checkpointEvery: 1,
      },
      fitSkipped: 0,
      logVariances: { ctr: 0.25 },
    },
    encoding,
    state: stateAt(steps),
  };
}

function freshFolder(name: string): string {
  const dir = join(work, name, "checkpoint");
  rmSync(join(work, name), { recursive: true, force: true });
  return dir;
}

function assertSameState(actual: TrainStepState, expected: TrainStepState): void {
  assert.equal(actual.steps, expected.steps);
  assert.deepEqual(actual.logVariances, expected.logVariances);
  for (const part of ["weights", "optimizer"] as const) {
    assert.deepEqual(
      actual[part].map((a) => ({ ...a, values: [...a.values], type: a.values.constructor.name })),
      expected[part].map((a) => ({ ...a, values: [...a.values], type: a.values.constructor.name })),
    );
  }
  assert.deepEqual(
    actual.sparse.map((s) => ({ table: s.table, slots: s.slots.map((x) => [...x]) })),
    expected.sparse.map((s) => ({ table: s.table, slots: s.slots.map((x) => [...x]) })),
  );
}

test("a checkpoint reads back exactly as written: arrays, position, run, encoding", async () => {
  await fitted();
  const dir = freshFolder("round-trip");
  const written = checkpointAt(12);
  await saveCheckpoint(dir, written);
  const read = loadCheckpoint(dir);
  assertSameState(read.state, written.state);
  assert.deepEqual(read.encoding, written.encoding);
  assert.deepEqual(read.meta.position, written.meta.position);
  assert.deepEqual(read.meta.run, written.meta.run);
  assert.deepEqual(read.meta.ir, ir);
  assert.equal(read.meta.spec, SMALL_SPEC);
  assert.deepEqual(assertManifestHolds(dir, "checkpoint").sort(), readdirSync(dir).filter((f) => f !== "manifest.json").sort());
});

test("a new checkpoint replaces the previous one: one set of files, no temp file", async () => {
  await fitted();
  const dir = freshFolder("replace");
  await saveCheckpoint(dir, checkpointAt(3));
  await saveCheckpoint(dir, checkpointAt(6));
  const files = readdirSync(dir).sort();
  assert.equal(files.length, 4, `expected arrays, encoding, meta and manifest, got ${files.join(", ")}`);
  assert.deepEqual(tempFiles(dir), []);
  assert.equal(loadCheckpoint(dir).meta.position.steps, 6);
});

test("a damaged checkpoint is refused with the file named and what to do", async () => {
  await fitted();
  const damage: [string, (dir: string, arrays: string) => void, RegExp][] = [
    ["truncated arrays", (dir, arrays) => truncateSync(join(dir, arrays), 10), /arrays\.[0-9a-f]{16}\.bin has 10 bytes, manifest\.json says \d+: the file is truncated/],
    [
      "a flipped byte",
      (dir, arrays) => {
        const bytes = readFileSync(join(dir, arrays));
        bytes[5] = bytes[5]! ^ 0xff;
        writeFileSync(join(dir, arrays), bytes);
      },
      /arrays\.[0-9a-f]{16}\.bin does not match its SHA-256 in manifest\.json: the file was altered or corrupted/,
    ],
    ["a missing file", (dir, arrays) => rmSync(join(dir, arrays)), /arrays\.[0-9a-f]{16}\.bin is missing: the checkpoint is incomplete/],
    ["no manifest", (dir) => rmSync(join(dir, "manifest.json")), /there is no checkpoint in .*\(no manifest\.json\)/],
    ["a manifest that is not JSON", (dir) => writeFileSync(join(dir, "manifest.json"), "{"), /manifest\.json cannot be read .*: the checkpoint is damaged/],
    [
      "a manifest naming a file outside the folder",
      (dir) => writeFileSync(join(dir, "manifest.json"), checkpointManifestText({ "../x.bin": { bytes: 1, sha256: "0" } })),
      /lists '\.\.\/x\.bin', which is not a file of the folder/,
    ],
    [
      "a meta file of another version",
      (dir) => {
        const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as { files: Record<string, unknown> };
        const metaName = Object.keys(manifest.files).find((f) => f.startsWith("meta."))!;
        const meta = JSON.parse(readFileSync(join(dir, metaName), "utf8")) as CheckpointMeta;
        const text = JSON.stringify({ ...meta, version: 99 });
        writeFileSync(join(dir, metaName), text);
        manifest.files[metaName] = fingerprintBytes(Buffer.from(text));
        writeFileSync(join(dir, "manifest.json"), JSON.stringify({ format: "mtl-checkpoint", version: 1, files: manifest.files }));
      },
      /meta\.[0-9a-f]{16}\.json has version 99; this mtl reads version 1/,
    ],
  ];
  for (const [what, spoil, message] of damage) {
    const dir = freshFolder(`damaged-${what.replaceAll(" ", "-")}`);
    await saveCheckpoint(dir, checkpointAt(4));
    const arrays = readdirSync(dir).find((f) => f.startsWith("arrays."))!;
    spoil(dir, arrays);
    assert.throws(
      () => loadCheckpoint(dir),
      (error: unknown) => {
        assert.ok(error instanceof CheckpointError, `${what}: expected a CheckpointError, got ${String(error)}`);
        assert.match(error.message, message, `${what}: message`);
        assert.ok(error.message.includes(dir), `${what}: the message should name the folder ${dir}: ${error.message}`);
        assert.match(error.message, /train again with --force to start afresh|the run saved none yet/, `${what}: the message should say what to do`);
        return true;
      },
    );
  }
});

/** The real writer, with the `failAt`-th file (0: arrays, 1: encoding, 2: meta, 3: manifest) failing at `stage` as a full disk does. */
function fullDiskAt(failAt: number, stage: WriteStage): CheckpointIo & { seen: string[] } {
  const io = {
    seen: [] as string[],
    writeFiles(files: readonly (readonly [string, Uint8Array])[]) {
      io.seen = files.map(([path]) => basename(path));
      const failing = files[failAt]![0];
      return writeFilesAtomic(files, (at, path) => {
        if (at === stage && path === failing) throw Object.assign(new Error(`ENOSPC: no space left on device, ${stage}`), { code: "ENOSPC" });
      });
    },
  };
  return io;
}

test("a full disk at any step of any of the four files keeps the previous checkpoint intact and leaves no new file", async () => {
  await fitted();
  for (const stage of ["write", "sync", "rename"] as const) {
    for (let failAt = 0; failAt < 4; failAt++) {
      const what = `${stage} of file ${failAt}`;
      const dir = freshFolder(`enospc-${stage}-${failAt}`);
      await saveCheckpoint(dir, checkpointAt(5));
      const before = readdirSync(dir).sort();
      const io = fullDiskAt(failAt, stage);
      await assert.rejects(saveCheckpoint(dir, checkpointAt(6), io), { code: "ENOSPC" }, what);
      assert.match(io.seen.join(" "), /^arrays\.\S+ encoding\.\S+ meta\.\S+ manifest\.json$/, "the manifest, which commits, is written last");
      // encoding.json is the same at steps 5 and 6, so its name is the committed one: it stays (rewritten with the same bytes when its rename went through).
      assert.deepEqual(readdirSync(dir).sort(), before, `${what}: the folder should hold exactly the previous checkpoint`);
      assertManifestHolds(dir, `after a failed ${what}`);
      assertSameState(loadCheckpoint(dir).state, stateAt(5));
      // The next save succeeds and replaces it.
      await saveCheckpoint(dir, checkpointAt(7));
      assert.equal(loadCheckpoint(dir).meta.position.steps, 7);
      assert.deepEqual(tempFiles(dir), []);
    }
  }
});

test("the message of a failed write says what happened, that the previous checkpoint is intact, and how to continue", () => {
  const enospc = Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
  const previous = { dir: "out/checkpoint", out: "out", steps: 40, epoch: 2, batch: 15, epochComplete: false };
  assert.equal(
    checkpointWriteError(enospc, "out/checkpoint", "out", previous).message,
    "cannot write a checkpoint to out/checkpoint: no space left on the device (ENOSPC). The previous checkpoint (step 40, epoch 2, batch 15) in out/checkpoint is intact: free some space, then continue with `mtl train --resume out`.",
  );
  const eacces = Object.assign(new Error("EACCES: permission denied"), { code: "EACCES" });
  assert.equal(
    checkpointWriteError(eacces, "my out/checkpoint", "my out", null).message,
    "cannot write a checkpoint to my out/checkpoint: permission denied (EACCES). No checkpoint was saved before: make the folder writable, then train again.",
  );
});

const root = process.getuid?.() === 0;

test("a read-only checkpoint folder (chmod): the write fails with EACCES and the previous checkpoint stays", { skip: root && "running as root, which chmod does not stop; the injected failures above cover it" }, async () => {
  await fitted();
  const dir = freshFolder("read-only");
  await saveCheckpoint(dir, checkpointAt(2));
  chmodSync(dir, 0o555);
  try {
    await assert.rejects(saveCheckpoint(dir, checkpointAt(3)), { code: "EACCES" });
  } finally {
    chmodSync(dir, 0o755);
  }
  assertSameState(loadCheckpoint(dir).state, stateAt(2));
  assert.deepEqual(tempFiles(dir), []);
});

test("temp files of killed writers are removed by the next save; those of running processes stay", async () => {
  await fitted();
  const dir = freshFolder("stale-temps");
  await saveCheckpoint(dir, checkpointAt(1));
  // A process that has exited: its pid is free (reuse within this test is not a concern).
  const dead = spawnSync(process.execPath, ["-e", "0"]).pid!;
  const stale = `.arrays.0123456789abcdef.bin.${dead}.k3x9.tmp`;
  const live = `.meta.0123456789abcdef.json.${process.ppid}.k3x9.tmp`;
  const orphan = "arrays.fedcba9876543210.bin";
  for (const name of [stale, live, orphan]) writeFileSync(join(dir, name), "partial");
  await saveCheckpoint(dir, checkpointAt(2));
  const files = readdirSync(dir);
  assert.ok(!files.includes(stale), "the dead writer's temp file should be removed");
  assert.ok(!files.includes(orphan), "a content file no manifest lists should be removed");
  assert.ok(files.includes(live), "a running process's temp file must stay");
  assert.equal(loadCheckpoint(dir).meta.position.steps, 2);
});

test("a checkpoint file replaced by a FIFO or a link to /dev/zero is refused at once (train --resume hung or read forever)", async () => {
  await fitted();
  const url = new URL("../../../src/train/checkpoint/store.js", import.meta.url).href;
  const cases: [string, (dir: string, arrays: string) => void, RegExp][] = [
    ["a FIFO for the arrays", (dir, arrays) => (rmSync(join(dir, arrays)), spawnSync("mkfifo", [join(dir, arrays)])), /arrays\.[0-9a-f]{16}\.bin is a FIFO, not a file of the checkpoint/],
    ["a FIFO for the manifest", (dir) => (rmSync(join(dir, "manifest.json")), spawnSync("mkfifo", [join(dir, "manifest.json")])), /manifest\.json is a FIFO/],
    ["a link to /dev/zero", (dir, arrays) => (rmSync(join(dir, arrays)), symlinkSync("/dev/zero", join(dir, arrays))), /arrays\.[0-9a-f]{16}\.bin is a symbolic link/],
  ];
  for (const [what, spoil, message] of cases) {
    const dir = freshFolder(`special-${what.replaceAll(" ", "-")}`);
    await saveCheckpoint(dir, checkpointAt(4));
    spoil(dir, readdirSync(dir).find((f) => f.startsWith("arrays."))!);
    // In a child process: a blocking read would hang this one, where no timeout can fire.
    const script = `import { loadCheckpoint } from ${JSON.stringify(url)}; try { loadCheckpoint(${JSON.stringify(dir)}); } catch (e) { console.log(e.name + ": " + e.message); }`;
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 20_000 });
    assert.equal(child.signal, null, `${what}: loadCheckpoint hung`);
    assert.match(child.stdout, /^CheckpointError: /, `${what}: ${child.stdout}${child.stderr}`);
    assert.match(child.stdout, message, what);
  }
});

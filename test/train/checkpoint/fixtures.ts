/**
 * Shared by the checkpoint tests: a small spec that trains in a second or
 * two, its data, and checks of a model folder written independently of
 * src/ (sizes and SHA-256 recomputed here).
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { esmmColumns, generateEsmm } from "../../../src/data/synthetic/esmm.js";
import { writeGenerated } from "../../../src/data/synthetic/write.js";
import { spawnCli } from "../../helpers/cli.js";
import { fingerprint } from "../../helpers/train-cli.js";
import { checkpointDir } from "../../../src/train/checkpoint/store.js";

/**
 * ESMM with small tables (sparse embedding updates), dropout (seeded by the
 * step) and Adam (whose beta powers a resume must restore exactly).
 */
export const SMALL_SPEC = `model small "a small ESMM for checkpoint tests"

feature user_id  : categorical(buckets: 500, dim: 8)
feature item_id  : categorical(buckets: 500, dim: 8)
feature price    : numeric(transform: log1p, normalize: zscore)

input x = concat(*)
tower ctr_tower = mlp(x, [16], dropout: 0.1)
tower cvr_tower = mlp(x, [16], dropout: 0.1)

task ctr   : binary = ctr_tower label click
task cvr   : binary = cvr_tower
task ctcvr : binary = ctr * cvr label purchase

train {
  optimizer: adam(lr: 0.01)
  batch: 32
  epochs: 2
  seed: 7
}
`;

/** Writes SMALL_SPEC and `rows` generated impressions into `dir`. */
export async function smallRun(dir: string, rows: number): Promise<{ spec: string; data: string }> {
  const spec = join(dir, "small.mtl");
  const data = join(dir, "train.csv");
  writeFileSync(spec, SMALL_SPEC);
  await writeGenerated(generateEsmm({ rows, seed: 5, users: 300, items: 200, categories: 20, ctr: 0.2, cvr: 0.3 }), esmmColumns(), data, rows);
  return { spec, data };
}

/** Written once in test/helpers for every test that compares weights; `modelWeights` is the checkpoint tests' name for it. */
export { folderWeights as modelWeights, maxWeightDifference } from "../../helpers/model-folder.js";

/** A folder's manifest.json, checked file by file against sizes and SHA-256 computed here; returns the listed names. */
export function assertManifestHolds(dir: string, what: string): string[] {
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as { files: Record<string, { bytes: number; sha256: string }> };
  for (const [name, expected] of Object.entries(manifest.files)) {
    const path = join(dir, name);
    assert.ok(existsSync(path), `${what}: ${name}, listed in the manifest, is missing`);
    assert.deepEqual(fingerprint(path), expected, `${what}: ${name} does not match the manifest`);
  }
  return Object.keys(manifest.files);
}

/** Files of `dir` that an atomic write left behind (`.NAME.PID.X.tmp`). */
export function tempFiles(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.startsWith(".") && f.endsWith(".tmp")) : [];
}

/** Polls `condition` every few milliseconds until it holds; false if `done` settles or `timeoutMs` passes first. */
export async function waitFor(condition: () => boolean, options: { timeoutMs: number; intervalMs?: number; done?: Promise<unknown> }): Promise<boolean> {
  let finished = false;
  void options.done?.then(() => (finished = true));
  const deadline = performance.now() + options.timeoutMs;
  while (performance.now() < deadline && !finished) {
    if (condition()) return true;
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 5));
  }
  return !finished && condition();
}

/** The position of the committed checkpoint in `dir`, read without src/ (null while there is none or it is being replaced). */
export function committedPosition(dir: string): { steps: number; epoch: number; batch: number; epochComplete: boolean } | null {
  try {
    const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as { files: Record<string, unknown> };
    const meta = Object.keys(manifest.files).find((f) => f.startsWith("meta."));
    if (meta === undefined) return null;
    return (JSON.parse(readFileSync(join(dir, meta), "utf8")) as { position: { steps: number; epoch: number; batch: number; epochComplete: boolean } }).position;
  } catch {
    return null;
  }
}

/**
 * Starts `mtl train SPEC --data DATA --out OUT` with a checkpoint after every
 * step and many epochs, and returns it once its checkpoint holds `steps`
 * steps (failing with its output if none appears): a run to interrupt.
 */
export async function trainUntilCheckpoint(cli: string, files: { spec: string; data: string; out: string; cwd: string }, steps: number): Promise<ReturnType<typeof spawnCli>> {
  const { spec, data, out, cwd } = files;
  const run = spawnCli(cli, ["train", spec, "--data", data, "--out", out, "--checkpoint-every", "1", "--epochs", "20"], { cwd });
  const started = await waitFor(() => (committedPosition(checkpointDir(out))?.steps ?? 0) >= steps, { timeoutMs: 60_000, done: run.done });
  if (!started) assert.fail(`no checkpoint appeared:\n${(await run.done).stderr}`);
  return run;
}

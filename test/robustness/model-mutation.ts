/**
 * The model-folder mutation property, shared by the CI test
 * (file-mutation.property.test.ts) and the long fuzz run (bench/fuzz.ts).
 *
 * Property: whatever happens to the files of a trained model folder, loading
 * it (the library's loadScorer, the loader behind `mtl predict` and `mtl
 * eval`) and scoring a few candidates either works or is refused with a
 * ModelDirError or DataError, in one line without JavaScript or TensorFlow.js
 * internals; never another exception. (Hangs: mutation-worker.ts.)
 *
 * A case damages one file (contents or size) and may then rewrite the
 * manifest to match, as a tool that copies files around might: without that
 * the manifest's SHA-256 refuses nearly everything before any file is parsed,
 * and the parsers behind it would go unexercised. A forged weight then
 * changes scores without notice (the manifest was made to vouch for it), so
 * a successful load is only checked to score every candidate.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { DataError } from "../../src/data/record.js";
import { loadScorer } from "../../src/serve/scorer.js";
import { ModelDirError, ModelTooLargeError } from "../../src/errors.js";
import { byteMutationArb, INTERNALS, mutateBytes, type ByteMutation } from "./byte-mutation.js";

export interface ModelSeed {
  /** File name to contents, manifest.json included. */
  files: Map<string, Uint8Array>;
  /** The files a case may damage, sorted (manifest.json last, so it can be damaged too). */
  names: string[];
}

export function modelSeed(folder: string): ModelSeed {
  const files = new Map(readdirSync(folder, { withFileTypes: true }).filter((e) => e.isFile()).map((e) => [e.name, readFileSync(join(folder, e.name))] as const));
  const names = [...files.keys()].filter((n) => n !== "manifest.json").sort();
  return { files, names: [...names, "manifest.json"] };
}

export interface ModelStats {
  loaded: number;
  refused: number;
}

export type ModelCase = [fileIndex: number, mutations: ByteMutation[], rewriteManifest: boolean];

export function modelCaseArb(seed: ModelSeed): fc.Arbitrary<ModelCase> {
  return fc.tuple(fc.integer({ min: 0, max: seed.names.length - 1 }), fc.array(byteMutationArb, { minLength: 1, maxLength: 3 }), fc.boolean());
}

/** Lays out the damaged folder at `folder`. */
export function writeModelMutant(seed: ModelSeed, [fileIndex, mutations, rewrite]: ModelCase, folder: string): string {
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  const target = seed.names[fileIndex]!;
  const files = new Map(seed.files);
  files.set(target, mutateBytes(seed.files.get(target)!, mutations));
  if (rewrite && target !== "manifest.json") {
    const manifest = JSON.parse(Buffer.from(files.get("manifest.json")!).toString("utf8")) as { files: Record<string, { bytes: number; sha256: string }> };
    const data = files.get(target)!;
    manifest.files[target] = { bytes: data.length, sha256: createHash("sha256").update(data).digest("hex") };
    files.set("manifest.json", Buffer.from(JSON.stringify(manifest, null, 2) + "\n"));
  }
  for (const [name, data] of files) writeFileSync(join(folder, name), data);
  return target;
}

const CANDIDATES = [{}, { user_id: "1", item_id: "2", price: 3.5, category: "c1", user_age: 30 }];

export async function checkModelMutant(seed: ModelSeed, c: ModelCase, folder: string, stats: ModelStats): Promise<void> {
  writeModelMutant(seed, c, folder);
  try {
    const scorer = await loadScorer(folder);
    try {
      const scores = scorer.score(CANDIDATES);
      for (const task of scorer.tasks) assert.equal(scores[task]?.length, CANDIDATES.length, `task ${task} did not score every candidate`);
    } finally {
      scorer.dispose();
    }
    stats.loaded++;
  } catch (err) {
    if (err instanceof assert.AssertionError) throw err;
    const refused = err instanceof ModelDirError || err instanceof DataError || err instanceof ModelTooLargeError;
    if (!refused) assert.fail(`not a clean refusal but ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
    stats.refused++;
    const message = err instanceof DataError ? err.render() : err.message;
    assert.doesNotMatch(message.split("\n")[0]!, INTERNALS, "the refusal leaks internals");
    assert.doesNotMatch(err.message, /\n/, "the refusal is not one line");
  }
}

/** `announce` is told each case before it runs (the watchdog's heartbeat). */
export function modelProperty(seed: ModelSeed, folder: string, stats: ModelStats, announce: (c: ModelCase) => void): fc.IAsyncProperty<[ModelCase]> {
  return fc.asyncProperty(modelCaseArb(seed), (c) => {
    announce(c);
    return checkModelMutant(seed, c, folder, stats);
  });
}

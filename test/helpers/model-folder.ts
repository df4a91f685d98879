import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Rewrites the entries of manifest.json to match the files as they now are (what a tool copying files around might do). */
export function rewriteManifest(folder: string): void {
  const path = join(folder, "manifest.json");
  const manifest = JSON.parse(readFileSync(path, "utf8")) as { files: Record<string, { bytes: number; sha256: string }> };
  manifest.files = Object.fromEntries(
    Object.keys(manifest.files).map((f) => {
      const data = readFileSync(join(folder, f));
      return [f, { bytes: data.length, sha256: createHash("sha256").update(data).digest("hex") }];
    }),
  );
  writeFileSync(path, JSON.stringify(manifest, null, 2) + "\n");
}

/**
 * Writes NaN into the last value of the model's last weight (what a diverged
 * training saves), with a manifest rewritten to match so that only the values
 * can give it away. Returns the weight's name and its file.
 */
export function poisonLastWeight(folder: string): { name: string; file: string } {
  const modelJson = JSON.parse(readFileSync(join(folder, "model.json"), "utf8")) as {
    weightsManifest: { paths: string[]; weights: { name: string; dtype: string }[] }[];
  };
  const [group] = modelJson.weightsManifest;
  if (!group || group.paths.length !== 1) throw new Error("expected one weight file");
  const last = group.weights[group.weights.length - 1]!;
  if (last.dtype !== "float32") throw new Error(`the last weight is ${last.dtype}, not float32`);
  const file = group.paths[0]!;
  const bytes = readFileSync(join(folder, file));
  bytes.writeFloatLE(Number.NaN, bytes.length - 4);
  writeFileSync(join(folder, file), bytes);
  rewriteManifest(folder);
  return { name: last.name, file };
}

/**
 * Overwrites the float32 weight `name` of a saved model with `values` (which
 * must fill it), with a manifest rewritten to match: a model whose weights
 * were set by hand, e.g. a gate forced onto one expert.
 */
export function setSavedWeight(folder: string, name: string, values: readonly number[]): void {
  const modelJson = JSON.parse(readFileSync(join(folder, "model.json"), "utf8")) as {
    weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: string }[] }[];
  };
  const [group] = modelJson.weightsManifest;
  if (!group || group.paths.length !== 1) throw new Error("expected one weight file");
  let offset = 0;
  for (const w of group.weights) {
    if (w.dtype !== "float32") throw new Error(`weight ${w.name} is ${w.dtype}, not float32`);
    const size = w.shape.reduce((a, b) => a * b, 1);
    if (w.name === name) {
      if (values.length !== size) throw new Error(`weight ${name} holds ${size} values, got ${values.length}`);
      const bytes = readFileSync(join(folder, group.paths[0]!));
      values.forEach((v, i) => bytes.writeFloatLE(v, offset + 4 * i));
      writeFileSync(join(folder, group.paths[0]!), bytes);
      rewriteManifest(folder);
      return;
    }
    offset += 4 * size;
  }
  throw new Error(`no weight '${name}' in ${group.weights.map((w) => w.name).join(", ")}`);
}

/** A model folder's weights by name, read as its model.json lays them out (independently of src/). */
export function folderWeights(dir: string): Map<string, Float32Array> {
  const layout = JSON.parse(readFileSync(join(dir, "model.json"), "utf8")) as { weightsManifest: { paths: string[]; weights: { name: string; shape: number[] }[] }[] };
  const weights = new Map<string, Float32Array>();
  for (const group of layout.weightsManifest) {
    const bytes = Buffer.concat(group.paths.map((p) => readFileSync(join(dir, p))));
    let offset = 0;
    for (const w of group.weights) {
      const size = w.shape.reduce((n, d) => n * d, 1);
      // A copy: a weight's offset in the file need not be a multiple of 4.
      weights.set(w.name, new Float32Array(bytes.buffer.slice(bytes.byteOffset + offset, bytes.byteOffset + offset + size * 4)));
      offset += size * 4;
    }
  }
  return weights;
}

/** The largest absolute difference between two models' weights (asserting they have the same names and sizes). */
export function maxWeightDifference(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  assert.deepEqual([...a.keys()], [...b.keys()], "the two models have different weights");
  let max = 0;
  for (const [name, values] of a) {
    const other = b.get(name)!;
    assert.equal(other.length, values.length, `weight ${name} has another size`);
    for (let i = 0; i < values.length; i++) max = Math.max(max, Math.abs(values[i]! - other[i]!));
  }
  return max;
}

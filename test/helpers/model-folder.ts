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

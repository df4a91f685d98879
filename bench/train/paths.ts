import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The folder holding package.json, found by walking up from this (compiled)
 * file, so the bench runs from any outDir (dist/, .build-*).
 */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
  return dir;
}

/** Sources that tsc does not copy into the outDir live in the repository itself. */
export const specPath = (file: string): string => join(repoRoot(), "bench", "train", "specs", file);
export const torchPeerScript = (): string => join(repoRoot(), "bench", "train", "torch_peer.py");

/** The compiled mtl child, next to this compiled file. */
export const mtlChildScript = (): string => fileURLToPath(new URL("./mtl-child.js", import.meta.url));

import { existsSync, readdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The folder holding package.json, found by walking up from this (compiled)
 * file, so tests work from any outDir (dist/, .build-*, ...).
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

/**
 * The compiled CLI entry, found from the calling test file's own location at
 * any depth: a test compiled to <outDir>/test/<area>/.../x.test.js finds
 * <outDir>/src/cli/main.js.
 */
export function cliFrom(testFileUrl: string): string {
  let dir = dirname(fileURLToPath(testFileUrl));
  while (basename(dir) !== "test") {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`${fileURLToPath(testFileUrl)} is not under a test/ folder`);
    dir = parent;
  }
  const cli = join(dirname(dir), "src", "cli", "main.js");
  if (!existsSync(cli)) throw new Error(`compiled CLI not found at ${cli}; build first`);
  return cli;
}

/** Absolute paths of the example specs (specs/*.mtl), sorted by name. */
export function exampleSpecs(): string[] {
  const dir = join(repoRoot(), "specs");
  const specs = readdirSync(dir)
    .filter((f) => f.endsWith(".mtl"))
    .sort()
    .map((f) => join(dir, f));
  if (specs.length === 0) throw new Error(`no example specs in ${dir}`);
  return specs;
}

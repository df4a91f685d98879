import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../../helpers/paths.js";

/** Runs the repository's tsc on a throwaway project holding `files`; returns its output. */
export function typeCheck(dir: string, files: string[], outDir?: string): { status: number | null; output: string } {
  const compilerOptions: Record<string, unknown> = {
    module: "NodeNext",
    moduleResolution: "NodeNext",
    target: "ES2022",
    strict: true,
    skipLibCheck: true,
    ...(outDir === undefined ? { noEmit: true } : { outDir, rootDir: dir }),
  };
  writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions, files }, null, 2));
  const tsc = join(repoRoot(), "node_modules", ".bin", "tsc");
  const run = spawnSync(tsc, ["-p", join(dir, "tsconfig.json")], { encoding: "utf8" });
  return { status: run.status, output: run.stdout + run.stderr };
}


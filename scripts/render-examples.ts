/**
 * `npm run images`: writes docs/images/<spec>.svg for every example spec in
 * specs/ (a test fails while they are stale). A development script: it is not
 * part of the package.
 */
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { pathToFileURL } from "node:url";
import { compileFile } from "../src/compiler.js";
import { packageRoot } from "../src/util/package-root.js";
import { renderSvg } from "../src/codegen/graph/svg.js";

/** Renders each spec and returns the files written, sorted by name. */
export async function renderExamples(outDir = join(packageRoot(), "docs", "images")): Promise<string[]> {
  const specsDir = join(packageRoot(), "specs");
  const specs = readdirSync(specsDir).filter((f) => f.endsWith(".mtl")).sort();
  mkdirSync(outDir, { recursive: true });
  const written: string[] = [];
  for (const spec of specs) {
    const result = compileFile(join(specsDir, spec));
    if (!result.ir) throw new Error(`${spec} does not compile: ${result.diagnostics.map((d) => d.message).join("; ")}`);
    const file = join(outDir, `${basename(spec, ".mtl")}.svg`);
    writeFileSync(file, await renderSvg(result.ir));
    written.push(file);
  }
  return written;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const file of await renderExamples(process.argv[2])) console.log(file);
}

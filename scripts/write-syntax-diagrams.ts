/**
 * `npm run grammar`: writes the syntax diagrams of the grammar (see
 * src/syntax/syntax-diagrams.ts) to grammar/syntax-diagrams.html and grammar/diagrams/,
 * removing diagrams of rules that no longer exist. A development script: it
 * is not part of the package.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../src/util/package-root.js";
import { buildSyntaxDiagrams, HTML_PATH, SVG_DIR } from "../src/syntax/syntax-diagrams.js";

function write(path: string, text: string): void {
  if (existsSync(path) && readFileSync(path, "utf8") === text) return;
  writeFileSync(path, text);
  console.log(`wrote ${path}`);
}

const root = packageRoot();
const diagrams = buildSyntaxDiagrams();
write(join(root, HTML_PATH), diagrams.html);
const svgDir = join(root, SVG_DIR);
mkdirSync(svgDir, { recursive: true });
for (const [file, svg] of diagrams.svgs) write(join(svgDir, file), svg);
for (const file of readdirSync(svgDir)) {
  if (file.endsWith(".svg") && !diagrams.svgs.has(file)) {
    rmSync(join(svgDir, file));
    console.log(`removed ${join(svgDir, file)}`);
  }
}
console.log(`${diagrams.rules.length} rules: ${diagrams.rules.join(", ")}`);

// Copies the grammar kept at the repository root (grammar/mtl.tmLanguage.json,
// the one the root tests check) into this extension, since `vsce package`
// only ships files inside the extension folder. Run by `npm run compile`.
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(dirname(fileURLToPath(import.meta.url)));
const source = join(here, "..", "..", "grammar", "mtl.tmLanguage.json");
const target = join(here, "syntaxes", "mtl.tmLanguage.json");
mkdirSync(dirname(target), { recursive: true });
copyFileSync(source, target);
console.log(`copied ${source} -> ${target}`);

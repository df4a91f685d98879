/**
 * The text of the modules in src/portable, for embedding in a generated
 * module: the generated code hashes ids and pools sequences with the very
 * code mtl runs, not a copy of it. The TypeScript sources ship with the
 * package (package.json `files`).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../../util/package-root.js";

export type PortableModule = "hash" | "encoding" | "layers";

export interface PortableSource {
  /** The module's declarations, without its imports or its file comment; its exports stay exports of the generated module. */
  text: string;
  /** Every name it declares at the top level, which the generated code must not shadow. */
  declared: string[];
}

const cache = new Map<PortableModule, PortableSource>();

export function portableSource(module: PortableModule): PortableSource {
  const cached = cache.get(module);
  if (cached) return cached;
  const file = join(packageRoot(), "src", "portable", `${module}.ts`);
  const source = readFileSync(file, "utf8")
    .replace(/^\/\*\*[\s\S]*?\*\/\n/, "")
    .replace(/^import .*;\n/gm, "");
  const declared = [...source.matchAll(/^(?:export )?(?:abstract )?(?:function|const|let|class|type|interface) ([A-Za-z_$][\w$]*)/gm)].map((m) => m[1]!);
  const result = { text: `// From mtl's src/portable/${module}.ts.\n${source.trim()}\n`, declared };
  cache.set(module, result);
  return result;
}

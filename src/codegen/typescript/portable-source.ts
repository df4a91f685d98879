/**
 * The text of the modules in src/portable, for embedding in a generated
 * module: the generated code hashes ids and pools sequences with the very
 * code mtl runs, not a copy of it. The TypeScript sources ship with the
 * package (package.json `files`). The browser playground swaps this file for
 * one that bundles the same sources as text (playground/src/browser/).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../../util/package-root.js";
import { portableFromText, type PortableModule, type PortableSource } from "./portable-text.js";

export type { PortableModule, PortableSource };

const cache = new Map<PortableModule, PortableSource>();

export function portableSource(module: PortableModule): PortableSource {
  const cached = cache.get(module);
  if (cached) return cached;
  const result = portableFromText(module, readFileSync(join(packageRoot(), "src", "portable", `${module}.ts`), "utf8"));
  cache.set(module, result);
  return result;
}

/**
 * Browser version of src/codegen/typescript/portable-source.ts: the same
 * src/portable files, bundled as text instead of read from disk.
 */
import encoding from "mtl-text:src/portable/encoding.ts";
import hash from "mtl-text:src/portable/hash.ts";
import layers from "mtl-text:src/portable/layers.ts";
import { portableFromText, type PortableModule, type PortableSource } from "../../../src/codegen/typescript/portable-text.js";

export type { PortableModule, PortableSource };

const TEXTS: Record<PortableModule, string> = { encoding, hash, layers };
const cache = new Map<PortableModule, PortableSource>();

export function portableSource(module: PortableModule): PortableSource {
  let result = cache.get(module);
  if (!result) cache.set(module, (result = portableFromText(module, TEXTS[module])));
  return result;
}

import { createRequire } from "node:module";
import { firstLine } from "./availability.js";

/**
 * The optional koffi FFI package, through which mtl calls native code it
 * finds on the system (OpenBLAS's sgemm, libc's madvise). Only the parts
 * used here are typed: it is an optional dependency, possibly absent.
 */
export interface KoffiLibrary {
  func(signature: string): (...args: unknown[]) => unknown;
}

export interface Koffi {
  /** A shared library by path or soname; null: the symbols this process already has (libc's). */
  load(path: string | null): KoffiLibrary;
  /** The address of a typed array's first byte. */
  address(value: ArrayBufferView): bigint;
}

/** Held in a variable so TypeScript doesn't require koffi's types. */
const KOFFI_MODULE: string = "koffi";

let loaded: Koffi | string | undefined;

/** koffi, or why it cannot be used (one line). Loaded once. */
export function loadKoffi(): Koffi | string {
  if (loaded !== undefined) return loaded;
  try {
    loaded = createRequire(import.meta.url)(KOFFI_MODULE) as Koffi;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    loaded = code === "MODULE_NOT_FOUND" ? "the optional koffi package is not installed" : `koffi failed to load: ${firstLine(error)}`;
  }
  return loaded;
}

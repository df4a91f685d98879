import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { wasmPackage } from "./wasm-package.js";
import { AVAILABLE, type Availability, firstLine, unavailable } from "./availability.js";

/** The binaries the wasm backend may pick (plain, SIMD, threaded SIMD). */
const WASM_BINARIES = [
  "tfjs-backend-wasm.wasm",
  "tfjs-backend-wasm-simd.wasm",
  "tfjs-backend-wasm-threaded-simd.wasm",
] as const;

let configured: Availability | undefined;

/**
 * Points the wasm backend at the .wasm files shipped in its own package.
 *
 * Without an explicit path, the backend derives the location from the
 * script URL, which breaks as soon as the code is bundled or run from another
 * directory; with a network URL it would fetch at run time. Resolving the
 * package through Node's resolver keeps it local and bundler-proof.
 * Must run before the backend is first initialised; later calls are no-ops.
 */
export function configureWasmBinaries(): Availability {
  configured ??= locateAndConfigure();
  return configured;
}

/** The directory holding the .wasm binaries, or a reason it can't be found. */
function wasmBinaryDirectory(): { dir: string } | { why: string } {
  let packageJson: string;
  try {
    packageJson = createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm/package.json");
  } catch (error) {
    return { why: `@tensorflow/tfjs-backend-wasm cannot be resolved (${firstLine(error)})` };
  }
  const dir = path.join(path.dirname(packageJson), "dist");
  const missing = WASM_BINARIES.filter((name) => !existsSync(path.join(dir, name)));
  if (missing.length > 0) {
    return { why: `missing ${missing.join(", ")} in ${dir}` };
  }
  return { dir };
}

function locateAndConfigure(): Availability {
  const located = wasmBinaryDirectory();
  if ("why" in located) return unavailable(located.why);
  try {
    // The backend concatenates prefix + file name, so the separator matters.
    wasmPackage.setWasmPaths(located.dir + path.sep);
  } catch (error) {
    return unavailable(`could not configure wasm binary paths (${firstLine(error)})`);
  }
  return AVAILABLE;
}

import { checkSource, type CheckResult } from "./check-source.js";
import { hasErrors } from "./diagnostics/diagnostic.js";
import { lower } from "./ir/lower.js";
import type { ValidIR } from "./ir/types.js";
import { assertValidIr } from "./ir/validate.js";
import { readSpecFile } from "./spec-file.js";

/** The front end in one call: source → tokens → AST → checked model (check-source.ts) → IR (when clean). */
export interface CompileResult extends CheckResult {
  /** Present only when there are no errors. */
  ir?: ValidIR;
}

export interface CompileOptions {
  /** Lower to IR and validate it (default); `mtl check` needs only the diagnostics. */
  lower?: boolean;
}

export function compileSource(source: string | Uint8Array, file: string, options: CompileOptions = {}): CompileResult {
  const result: CompileResult = checkSource(source, file);
  if (options.lower !== false && !hasErrors(result.diagnostics)) result.ir = assertValidIr(lower(result.checked));
  return result;
}

/** Reads (see readSpecFile) and compiles a spec file; a file that cannot be read throws a SpecReadError naming it. */
export function compileFile(path: string, options: CompileOptions = {}): CompileResult {
  return compileSource(readSpecFile(path), path, options);
}

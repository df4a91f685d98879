import { hasErrors, sortDiagnostics, type Diagnostic } from "./diagnostics/diagnostic.js";
import { lower } from "./ir/lower.js";
import type { ValidIR } from "./ir/types.js";
import { assertValidIr } from "./ir/validate.js";
import type { Decl } from "./syntax/ast.js";
import { parseBytes, parseText } from "./syntax/parse.js";
import { readSpecFile } from "./spec-file.js";
import { check, type CheckedSpec } from "./validation/checker.js";


/** The front end in one call: source → tokens → AST → checked model → IR (when clean). */
export interface CompileResult {
  file: string;
  text: string;
  checked: CheckedSpec;
  diagnostics: Diagnostic[];
  /** Present only when there are no errors. */
  ir?: ValidIR;
}

export interface CompileOptions {
  /** Lower to IR and validate it (default); `mtl check` needs only the diagnostics. */
  lower?: boolean;
}

export function compileSource(source: string | Uint8Array, file: string, options: CompileOptions = {}): CompileResult {
  const parsed = typeof source === "string" ? parseText(source, file) : parseBytes(source, file);
  const checked = check(parsed.ast);
  const semantic = withoutCascades(checked.diagnostics, parsed.diagnostics, parsed.ast.decls);
  const diagnostics = sortDiagnostics([...parsed.diagnostics, ...semantic]);
  const result: CompileResult = { file, text: parsed.text, checked, diagnostics };
  if (options.lower !== false && !hasErrors(diagnostics)) result.ir = assertValidIr(lower(checked));
  return result;
}

/**
 * Recovery drops the tokens around a syntax error, so the checker would
 * complain about what went missing. A syntax error belongs to the last
 * declaration starting before it; that declaration's semantic diagnostics are
 * dropped until the syntax is fixed.
 */
function withoutCascades(semantic: Diagnostic[], syntax: Diagnostic[], decls: readonly Decl[]): Diagnostic[] {
  const errors = syntax.filter((d) => d.severity === "error");
  if (errors.length === 0) return semantic;
  const broken: Decl[] = [];
  for (const error of errors) {
    const owner = decls.findLast((d) => d.range.start.offset <= error.range.start.offset);
    if (owner) broken.push(owner);
  }
  const inside = (d: Diagnostic, decl: Decl) => d.range.start.offset >= decl.range.start.offset && d.range.start.offset < Math.max(decl.range.end.offset, nextStart(decls, decl));
  return semantic.filter((d) => !broken.some((decl) => inside(d, decl)));
}

function nextStart(decls: readonly Decl[], decl: Decl): number {
  const next = decls[decls.indexOf(decl) + 1];
  return next ? next.range.start.offset : Number.MAX_SAFE_INTEGER;
}

/** Reads (see readSpecFile) and compiles a spec file; a file that cannot be read throws a SpecReadError naming it. */
export function compileFile(path: string, options: CompileOptions = {}): CompileResult {
  return compileSource(readSpecFile(path), path, options);
}

import { sortDiagnostics, type Diagnostic } from "./diagnostics/diagnostic.js";
import type { Decl } from "./syntax/ast.js";
import { parseBytes, parseText } from "./syntax/parse.js";
import { check, type CheckedSpec } from "./validation/checker.js";

/**
 * The front end up to the checked model: source → tokens → AST → checked
 * model and diagnostics. Apart from compiler.ts (which lowers to IR and
 * validates it against the schema file) so that the editor services and the
 * browser playground can run it without Node's file system.
 */
export interface CheckResult {
  file: string;
  text: string;
  checked: CheckedSpec;
  diagnostics: Diagnostic[];
}

export function checkSource(source: string | Uint8Array, file: string): CheckResult {
  const parsed = typeof source === "string" ? parseText(source, file) : parseBytes(source, file);
  const checked = check(parsed.ast);
  const semantic = withoutCascades(checked.diagnostics, parsed.diagnostics, parsed.ast.decls);
  const diagnostics = sortDiagnostics([...parsed.diagnostics, ...semantic]);
  return { file, text: parsed.text, checked, diagnostics };
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

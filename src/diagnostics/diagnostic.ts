import type { Range } from "../syntax/ast.js";
import { CATALOG, type DiagnosticCode } from "./catalog.js";

export type Severity = "error" | "warning";

/** A problem is data: rendering it (human, JSON, SARIF, LSP) happens elsewhere. */
export interface Diagnostic {
  code: DiagnosticCode;
  severity: Severity;
  message: string;
  file: string;
  range: Range;
  /** Related places, e.g. the first declaration of a duplicated name. */
  related?: { message: string; range: Range }[];
  /**
   * Machine-applicable fixes, e.g. the name a "Did you mean ...?" hint
   * suggests. Each replaces a range of the diagnostic's file; renderers and
   * editors may offer them, the message never depends on them.
   */
  fixes?: Fix[];
}

/** One edit that fixes a diagnostic: replace `range` (in the diagnostic's file) by `newText`. */
export interface Fix {
  title: string;
  range: Range;
  newText: string;
}

/** A fix replacing `range` (whose text is `old`) by `suggestion`; positions are copied, not shared with the syntax tree. */
export function replacement(range: Range, old: string, suggestion: string): Fix {
  return {
    title: `Change '${old}' to '${suggestion}'`,
    range: { start: { ...range.start }, end: { ...range.end } },
    newText: suggestion,
  };
}

type Args<C extends DiagnosticCode> = Parameters<(typeof CATALOG)[C]["message"]>;

/** Builds a diagnostic from the catalog so codes, severities and wording stay in one place. */
export function diagnostic<C extends DiagnosticCode>(
  code: C,
  file: string,
  range: Range,
  ...args: Args<C>
): Diagnostic {
  const entry = CATALOG[code];
  const message = (entry.message as (...a: Args<C>) => string)(...args);
  return { code, severity: entry.severity, message, file, range };
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === "error");
}

/** Source order, then code, so output is deterministic whatever order the checks ran in. */
export function sortDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics.sort(
    (a, b) =>
      a.file.localeCompare(b.file) ||
      a.range.start.offset - b.range.start.offset ||
      a.range.end.offset - b.range.end.offset ||
      a.code.localeCompare(b.code),
  );
}

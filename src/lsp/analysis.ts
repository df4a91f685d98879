import type * as L from "vscode-languageserver/node.js";
import { checkSource, type CheckResult } from "../check-source.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import type * as A from "../syntax/ast.js";
import type { CheckedSpec } from "../validation/checker.js";
import type { Sym } from "../validation/symbols.js";
import type { IncrementalCompiler } from "./incremental.js";

/**
 * One compiled version of a document: the checker's result plus an index of
 * every name occurrence (declarations and references) sorted by offset, which
 * hover, definition, references and rename all read.
 */
export interface Analysis {
  uri: string;
  version: number;
  text: string;
  result: CheckResult;
  checked: CheckedSpec;
  /** Lazily built: every declared name and reference, sorted by start offset. */
  occurrences(): readonly Occurrence[];
}

export interface Occurrence {
  range: A.Range;
  sym: Sym;
  /** The name in the symbol's own declaration. */
  isDeclaration: boolean;
}

/**
 * Checks a document version; with `compiler`, unchanged declarations are not
 * parsed again. `file` is the name diagnostics carry (the server passes the
 * path of a file: URI, see fileOf in server.ts).
 */
export function analyze(uri: string, version: number, text: string, compiler?: IncrementalCompiler, file = uri): Analysis {
  const result = compiler ? compiler.compile(text, file) : checkSource(text, file);
  let index: Occurrence[] | undefined;
  return {
    uri,
    version,
    text,
    result,
    checked: result.checked,
    occurrences() {
      if (!index) index = buildOccurrences(result.checked);
      return index;
    },
  };
}

function buildOccurrences(checked: CheckedSpec): Occurrence[] {
  const out: Occurrence[] = [];
  for (const sym of checked.symbols.values()) {
    // A feature group's members share its name in the text: the name belongs to the group.
    if (!(sym.kind === "feature" && sym.group)) out.push({ range: sym.decl.name.range, sym, isDeclaration: true });
    for (const ref of sym.references) out.push({ range: ref.range, sym, isDeclaration: false });
  }
  return out.sort((a, b) => a.range.start.offset - b.range.start.offset);
}

/** The name occurrence under (or just before, at its end) an offset. */
export function occurrenceAt(analysis: Analysis, offset: number): Occurrence | undefined {
  const all = analysis.occurrences();
  let lo = 0;
  let hi = all.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (all[mid]!.range.start.offset <= offset) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  for (let i = found; i >= 0 && i >= found - 1; i--) {
    const occ = all[i]!;
    if (occ.range.start.offset <= offset && offset <= occ.range.end.offset) return occ;
  }
  return undefined;
}

export function contains(range: A.Range, offset: number): boolean {
  return range.start.offset <= offset && offset <= range.end.offset;
}

// ── conversions ─────────────────────────────────────────────────────────

/** AST positions are 1-based lines and UTF-16 columns; LSP's are 0-based. */
export function toLspRange(range: A.Range): L.Range {
  return {
    start: { line: range.start.line - 1, character: range.start.column - 1 },
    end: { line: range.end.line - 1, character: range.end.column - 1 },
  };
}

export function toLspDiagnostic(d: Diagnostic, uri: string): L.Diagnostic {
  const out: L.Diagnostic = {
    range: toLspRange(d.range),
    severity: d.severity === "error" ? 1 : 2,
    code: d.code,
    source: "mtl",
    message: d.message,
  };
  if (d.related?.length) {
    out.relatedInformation = d.related.map((r) => ({ location: { uri, range: toLspRange(r.range) }, message: r.message }));
  }
  if (d.fixes?.length) {
    const data: DiagnosticData = { fixes: d.fixes.map((f) => ({ title: f.title, range: toLspRange(f.range), newText: f.newText })) };
    out.data = data;
  }
  return out;
}

/** What an LSP diagnostic carries in `data`: its fixes, in LSP positions (code actions are built from them). */
export interface DiagnosticData {
  fixes: { title: string; range: L.Range; newText: string }[];
}

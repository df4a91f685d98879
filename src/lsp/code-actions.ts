import { CodeActionKind, type CodeAction, type Diagnostic as LspDiagnostic, type Range } from "vscode-languageserver/node.js";
import { toLspDiagnostic, type Analysis, type DiagnosticData } from "./analysis.js";

/**
 * Quick fixes for the diagnostics that touch `range`: one action per fix a
 * diagnostic carries (e.g. the name a "Did you mean ...?" hint suggests),
 * preferred when it is the diagnostic's only one. Built from the current
 * analysis, so they apply to the document version the client sees.
 */
export function codeActions(analysis: Analysis, range: Range, only?: readonly string[]): CodeAction[] {
  if (only && !only.some((kind) => kind === CodeActionKind.QuickFix || CodeActionKind.QuickFix.startsWith(kind + "."))) return [];
  const actions: CodeAction[] = [];
  for (const d of analysis.result.diagnostics) {
    if (!d.fixes?.length) continue;
    const diagnostic = toLspDiagnostic(d, analysis.uri);
    if (!overlaps(diagnostic.range, range)) continue;
    const fixes = (diagnostic.data as DiagnosticData).fixes;
    for (const fix of fixes) {
      actions.push({
        title: fix.title,
        kind: CodeActionKind.QuickFix,
        diagnostics: [diagnostic],
        ...(fixes.length === 1 && { isPreferred: true }),
        edit: { changes: { [analysis.uri]: [{ range: fix.range, newText: fix.newText }] } },
      });
    }
  }
  return actions;
}

/** Whether two ranges share a position; touching counts, so a cursor at either end of a name still gets its fix. */
function overlaps(a: LspDiagnostic["range"], b: Range): boolean {
  return !before(a.end, b.start) && !before(b.end, a.start);
}

function before(p: Range["start"], q: Range["start"]): boolean {
  return p.line < q.line || (p.line === q.line && p.character < q.character);
}

import type { CATALOG, DiagnosticCode } from "../diagnostics/catalog.js";
import { diagnostic, replacement, type Diagnostic } from "../diagnostics/diagnostic.js";
import { closest } from "../diagnostics/suggest.js";
import type * as A from "../syntax/ast.js";
import { DECLARATION_WORDS } from "../syntax/tokens.js";
import type { RefKind } from "./schema.js";
import { ARTICLE, describeKinds, memberRange, type Sym } from "./symbols.js";

/** Shared state of one checking pass: the symbol table and the diagnostics found so far. */
export class CheckContext {
  readonly diagnostics: Diagnostic[] = [];
  readonly symbols = new Map<string, Sym>();

  /** `lostNames`: names a declaration broken by a syntax error would declare (SpecFile.lostNames), not reported as unknown. */
  constructor(
    readonly file: string,
    private readonly lostNames: ReadonlySet<string> = new Set(),
  ) {}

  report<C extends DiagnosticCode>(code: C, range: A.Range, ...args: Parameters<(typeof CATALOG)[C]["message"]>): Diagnostic {
    const d = diagnostic(code, this.file, range, ...args);
    this.diagnostics.push(d);
    return d;
  }

  /**
   * Attaches the fix a "Did you mean ...?" hint stands for: `written` (a name,
   * or a string's text at its range) becomes `hint`. The replacement keeps a
   * string a string, and quotes a hint that could not be written as a name.
   * No hint, no fix.
   */
  suggest(d: Diagnostic, written: A.Name, hint: string | undefined): Diagnostic {
    if (!hint) return d;
    const quoted = written.range.end.offset - written.range.start.offset !== written.text.length;
    const text = quoted || !isBareName(hint) ? JSON.stringify(hint) : hint;
    (d.fixes ??= []).push(replacement(written.range, written.text, text));
    return d;
  }

  /**
   * Looks a name up for use in a place that accepts `kinds`, recording the
   * reference. `single` refuses expert groups and feature groups, which have
   * no single output, unless `featureGroups` lets the latter through (concat
   * expands a feature group into its members).
   */
  resolve(name: A.Name, kinds: readonly RefKind[], options: { single?: boolean; featureGroups?: boolean } = {}): Sym | undefined {
    const sym = this.symbols.get(name.text);
    if (!sym) {
      if (this.lostNames.has(name.text)) return undefined;
      const candidates = [...this.symbols.values()].filter((s) => kinds.includes(s.kind)).map((s) => s.name);
      const hint = closest(name.text, candidates) ?? closest(name.text, this.symbols.keys());
      this.suggest(this.report("MTL2001", name.range, name.text, hint ? ` Did you mean '${hint}'?` : ""), name, hint);
      return undefined;
    }
    sym.references.push(name);
    if (!kinds.includes(sym.kind)) {
      this.report("MTL2003", name.range, name.text, ARTICLE[sym.kind], describeKinds(kinds));
      return undefined;
    }
    if (options.single && sym.kind === "expert" && sym.count > 1) {
      this.report("MTL4004", name.range, name.text, sym.count);
      return undefined;
    }
    if (options.single && !options.featureGroups && sym.kind === "feature" && sym.members) {
      this.report("MTL4008", name.range, name.text, sym.members.length, memberRange(sym.name, sym.members.length));
      return undefined;
    }
    return sym;
  }
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Whether `text` can be written as a bare name (not a string): an identifier, not a declaration keyword. */
function isBareName(text: string): boolean {
  return IDENTIFIER.test(text) && !DECLARATION_WORDS.has(text);
}

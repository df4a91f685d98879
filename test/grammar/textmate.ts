/**
 * A small TextMate tokenizer for testing grammar/mtl.tmLanguage.json without
 * vscode-textmate + vscode-oniguruma (not among the project's packages).
 *
 * It follows vscode-textmate's tokenizer (`_tokenizeString`, `handleCaptures`,
 * `LineTokens`) for the subset of the format the grammar uses:
 *
 * - rules with `match` + `name`/`captures`, and `begin`/`end` + `name`,
 *   `contentName`, `beginCaptures`/`endCaptures`/`captures`, `patterns`,
 *   `applyEndPatternLast`;
 * - `include` of `#repository` rules, `$self` and `$base`;
 * - each line is scanned with a trailing "\n", as VS Code does; at each
 *   position every candidate regex is searched and the earliest match wins,
 *   ties going to the first in order (a begin/end rule's `end` comes first);
 * - captures nest (a capture inside another gets both scopes), empty and
 *   unmatched groups are skipped;
 * - the no-progress guards: a zero-width match, or a push-and-pop without
 *   advancing, ends the line's tokenization as in vscode-textmate.
 *
 * Regexes run as JavaScript RegExps with the `m` flag, which gives `^`/`$`
 * Oniguruma's line semantics. Anything outside the subset (`while`, injections,
 * `$1` in names, capture `patterns`, external includes, `\G`, `\A`, `\z`, `\h`,
 * possessive quantifiers, atomic groups) throws rather than silently differing.
 */

export interface RawCapture {
  name?: string;
  patterns?: unknown;
}

export interface RawRule {
  comment?: string;
  name?: string;
  contentName?: string;
  match?: string;
  begin?: string;
  end?: string;
  while?: string;
  captures?: Record<string, RawCapture>;
  beginCaptures?: Record<string, RawCapture>;
  endCaptures?: Record<string, RawCapture>;
  patterns?: RawRule[];
  include?: string;
  repository?: Record<string, RawRule>;
  applyEndPatternLast?: boolean | number;
}

export interface RawGrammar {
  scopeName: string;
  patterns: RawRule[];
  repository?: Record<string, RawRule>;
  injections?: unknown;
  [key: string]: unknown;
}

export interface Token {
  /** 0-based UTF-16 offsets into the line (without its newline). */
  startIndex: number;
  endIndex: number;
  scopes: string[];
}

/** A list of scope names, shared by prefix like vscode-textmate's ScopeStack. */
type Scopes = readonly string[];

interface Compiled {
  rule: RawRule;
  kind: "match" | "beginEnd" | "includeOnly";
  regex?: RegExp;
  endRegex?: RegExp;
}

interface Frame {
  rule: Compiled | undefined; // undefined: the grammar's root
  nameScopes: Scopes;
  contentScopes: Scopes;
  enterPos: number;
}

/** Tokenizer state carried from one line to the next (the rule stack). */
export type RuleStack = readonly Frame[];

const UNSUPPORTED_REGEX: [RegExp, string][] = [
  [/\\[GAzZh]/, "\\G, \\A, \\z, \\Z and \\h have no JavaScript equivalent here"],
  [/\(\?>/, "atomic groups"],
  [/[*+?}]\+/, "possessive quantifiers"],
  [/\(\?[imx-]+[):]/, "inline option groups"],
];

function compileRegex(source: string): RegExp {
  for (const [bad, why] of UNSUPPORTED_REGEX) {
    // Skip escaped backslashes so `\\G` (a backslash then G) is not flagged.
    if (bad.test(source.replace(/\\\\/g, ""))) throw new Error(`regex uses ${why}: ${source}`);
  }
  return new RegExp(source, "dgmu");
}

function checkName(name: string | undefined): void {
  if (name !== undefined && name.includes("$")) throw new Error(`capture references in names are not supported: ${name}`);
}

function checkCaptures(captures: Record<string, RawCapture> | undefined): void {
  for (const capture of Object.values(captures ?? {})) {
    if (capture.patterns !== undefined) throw new Error("capture patterns are not supported");
    checkName(capture.name);
  }
}

export class Grammar {
  readonly scopeName: string;
  private readonly compiled = new Map<RawRule, Compiled>();
  private readonly candidates = new Map<Compiled | undefined, { regex: RegExp; rule: Compiled; isEnd: boolean }[]>();

  constructor(private readonly raw: RawGrammar) {
    if (raw.injections !== undefined) throw new Error("injections are not supported");
    this.scopeName = raw.scopeName;
  }

  private compile(rule: RawRule): Compiled {
    let c = this.compiled.get(rule);
    if (c) return c;
    if (rule.while !== undefined) throw new Error("begin/while rules are not supported");
    if (rule.repository !== undefined) throw new Error("nested repositories are not supported");
    checkName(rule.name);
    checkName(rule.contentName);
    checkCaptures(rule.captures);
    checkCaptures(rule.beginCaptures);
    checkCaptures(rule.endCaptures);
    if (rule.match !== undefined) {
      c = { rule, kind: "match", regex: compileRegex(rule.match) };
    } else if (rule.begin !== undefined) {
      if (rule.end === undefined) throw new Error(`begin without end: ${rule.begin}`);
      c = { rule, kind: "beginEnd", regex: compileRegex(rule.begin), endRegex: compileRegex(rule.end) };
    } else {
      c = { rule, kind: "includeOnly" };
    }
    this.compiled.set(rule, c);
    return c;
  }

  private resolve(rule: RawRule): RawRule {
    if (rule.include === undefined) return rule;
    const target = rule.include;
    if (target === "$self" || target === "$base") return { patterns: this.raw.patterns };
    if (target.startsWith("#")) {
      const found = this.raw.repository?.[target.slice(1)];
      if (!found) throw new Error(`include of a missing repository rule: ${target}`);
      return this.resolve(found);
    }
    throw new Error(`external includes are not supported: ${target}`);
  }

  /** The rules scanned at a position, in vscode-textmate's order. */
  private collect(patterns: RawRule[] | undefined, out: Compiled[], seen: Set<RawRule>): void {
    for (const pattern of patterns ?? []) {
      const rule = this.resolve(pattern);
      const c = this.compile(rule);
      if (c.kind === "includeOnly") {
        if (seen.has(rule)) continue; // a cycle of include-only rules adds nothing new
        seen.add(rule);
        this.collect(rule.patterns, out, seen);
        seen.delete(rule);
      } else {
        out.push(c);
      }
    }
  }

  private scanList(frame: Frame): { regex: RegExp; rule: Compiled; isEnd: boolean }[] {
    let list = this.candidates.get(frame.rule);
    if (list) return list;
    const rules: Compiled[] = [];
    this.collect(frame.rule ? frame.rule.rule.patterns : this.raw.patterns, rules, new Set());
    list = rules.map((rule) => ({ regex: rule.regex!, rule, isEnd: false }));
    if (frame.rule) {
      const end = { regex: frame.rule.endRegex!, rule: frame.rule, isEnd: true };
      if (frame.rule.rule.applyEndPatternLast) list.push(end);
      else list.unshift(end);
    }
    this.candidates.set(frame.rule, list);
    return list;
  }

  initialStack(): RuleStack {
    const root = [this.scopeName];
    return [{ rule: undefined, nameScopes: root, contentScopes: root, enterPos: -1 }];
  }

  /** Every rule the grammar can reach compiles, or this throws. */
  checkAll(): void {
    const pending: (Compiled | undefined)[] = [undefined];
    const done = new Set<Compiled | undefined>();
    while (pending.length > 0) {
      const rule = pending.pop();
      if (done.has(rule)) continue;
      done.add(rule);
      const frame: Frame = { rule, nameScopes: [], contentScopes: [], enterPos: 0 };
      for (const c of this.scanList(frame)) if (c.rule.kind === "beginEnd" && !done.has(c.rule)) pending.push(c.rule);
    }
  }

  tokenizeLine(line: string, stackIn: RuleStack): { tokens: Token[]; ruleStack: RuleStack } {
    const text = line + "\n";
    const length = text.length;
    const stack: Frame[] = [...stackIn];
    const tokens: Token[] = [];
    let lastEnd = 0;
    const produce = (scopes: Scopes, end: number): void => {
      if (lastEnd >= end) return;
      tokens.push({ startIndex: lastEnd, endIndex: end, scopes: [...scopes] });
      lastEnd = end;
    };
    let pos = 0;
    for (;;) {
      const top = stack[stack.length - 1]!;
      let best: { match: RegExpExecArray; rule: Compiled; isEnd: boolean } | undefined;
      for (const candidate of this.scanList(top)) {
        candidate.regex.lastIndex = pos;
        const match = candidate.regex.exec(text);
        if (match && (!best || match.index < best.match.index)) best = { match, rule: candidate.rule, isEnd: candidate.isEnd };
      }
      if (!best) {
        produce(top.contentScopes, length);
        break;
      }
      const { match, rule } = best;
      const start = match.index;
      const end = start + match[0].length;
      const advanced = end > pos;
      if (best.isEnd) {
        produce(top.contentScopes, start);
        handleCaptures(rule.rule.endCaptures ?? rule.rule.captures, match, top.nameScopes, produce);
        produce(top.nameScopes, end);
        stack.pop();
        if (!advanced && top.enterPos === pos) {
          // Pushed and popped without advancing: keep the rule, stop the line.
          stack.push(top);
          produce(top.nameScopes, length);
          break;
        }
      } else {
        produce(top.contentScopes, start);
        const nameScopes = push(top.contentScopes, rule.rule.name);
        if (rule.kind === "beginEnd") {
          handleCaptures(rule.rule.beginCaptures ?? rule.rule.captures, match, nameScopes, produce);
          produce(nameScopes, end);
          const frame: Frame = { rule, nameScopes, contentScopes: push(nameScopes, rule.rule.contentName), enterPos: pos };
          if (!advanced && top.rule === rule) {
            produce(top.contentScopes, length);
            break;
          }
          stack.push(frame);
        } else {
          handleCaptures(rule.rule.captures, match, nameScopes, produce);
          produce(nameScopes, end);
          if (!advanced) {
            if (stack.length > 1) stack.pop();
            produce(stack[stack.length - 1]!.contentScopes, length);
            break;
          }
        }
      }
      if (end > pos) pos = end;
    }
    // vscode-textmate drops the token made of the newline alone, and a line
    // with no token gets one spanning it.
    if (tokens.length > 0 && tokens[tokens.length - 1]!.startIndex === length - 1) tokens.pop();
    if (tokens.length === 0) tokens.push({ startIndex: 0, endIndex: length, scopes: [...stack[stack.length - 1]!.contentScopes] });
    for (const token of tokens) token.endIndex = Math.min(token.endIndex, line.length);
    return { tokens, ruleStack: stack };
  }

  tokenizeText(text: string): Token[][] {
    let stack = this.initialStack();
    return text.split(/\r?\n/).map((line) => {
      const result = this.tokenizeLine(line, stack);
      stack = result.ruleStack;
      return result.tokens;
    });
  }
}

function push(scopes: Scopes, name: string | undefined): Scopes {
  if (name === undefined || name === "") return scopes;
  // Like ScopeStack.push, a name with spaces adds several scopes.
  return [...scopes, ...name.split(/\s+/).filter((s) => s !== "")];
}

function handleCaptures(
  captures: Record<string, RawCapture> | undefined,
  match: RegExpExecArray,
  base: Scopes,
  produce: (scopes: Scopes, end: number) => void,
): void {
  if (!captures) return;
  const indices = match.indices!;
  const maxEnd = indices[0]![1];
  const local: { scopes: Scopes; end: number }[] = [];
  for (let i = 0; i < indices.length; i++) {
    const capture = captures[String(i)];
    if (!capture) continue;
    const span = indices[i];
    if (!span || span[1] === span[0]) continue;
    const [start, end] = span;
    if (start > maxEnd) break;
    while (local.length > 0 && local[local.length - 1]!.end <= start) {
      const done = local.pop()!;
      produce(done.scopes, done.end);
    }
    produce(local.length > 0 ? local[local.length - 1]!.scopes : base, start);
    if (capture.name !== undefined) {
      local.push({ scopes: push(local.length > 0 ? local[local.length - 1]!.scopes : base, capture.name), end });
    }
  }
  while (local.length > 0) {
    const done = local.pop()!;
    produce(done.scopes, done.end);
  }
}

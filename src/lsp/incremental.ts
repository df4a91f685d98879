import { checkSource, type CheckResult } from "../check-source.js";
import { sortDiagnostics } from "../diagnostics/diagnostic.js";
import type * as A from "../syntax/ast.js";
import { parseText } from "../syntax/parse.js";
import { NAME_PATTERN } from "../syntax/column-text.js";
import { LineIndex } from "../syntax/range.js";
import { DECLARATION_WORDS, DocComment } from "../syntax/tokens.js";
import { check } from "../validation/checker.js";

/**
 * checkSource for a document edited a keystroke at a time. Declarations
 * are syntactically independent, so the text is cut into chunks, one per
 * declaration (with its `##` doc lines), and only chunks whose text changed
 * are parsed again; the others keep their syntax trees, moved to their new
 * offsets and lines. The checker then runs on the whole model as usual.
 *
 * The result equals checkSource's whenever every chunk parses cleanly.
 * Anything else (a syntax or lexical error, a stray doc comment, `\r` line
 * ends) goes through checkSource itself, so error messages and recovery
 * are exactly those of `mtl check`.
 */
export class IncrementalCompiler {
  /** Parsed chunks by their text; each entry's trees sit at `offset`/`line`. */
  private cache = new Map<string, CachedChunk[]>();

  compile(text: string, file: string): CheckResult {
    if (/\r(?!\n)/.test(text)) return this.full(text, file);
    const next = new Map<string, CachedChunk[]>();
    const decls: A.Decl[] = [];
    for (const chunk of chunksOf(text)) {
      let entry = this.cache.get(chunk.text)?.pop();
      if (entry) {
        moveTo(entry, chunk.offset, chunk.line);
      } else {
        const parsed = parseText(chunk.text, file);
        if (parsed.diagnostics.length > 0 || parsed.ast.strayDocs.length > 0) return this.full(text, file);
        entry = { decls: parsed.ast.decls, offset: 0, line: 0 };
        moveTo(entry, chunk.offset, chunk.line);
      }
      decls.push(...entry.decls);
      const list = next.get(chunk.text);
      if (list) list.unshift(entry);
      else next.set(chunk.text, [entry]);
    }
    this.cache = next;
    const ast: A.SpecFile = { file, decls, strayDocs: [], range: { start: { line: 1, column: 1, offset: 0 }, end: new LineIndex(text).end() } };
    const checked = check(ast);
    return { file, text, checked, diagnostics: sortDiagnostics([...checked.diagnostics]) };
  }

  private full(text: string, file: string): CheckResult {
    this.cache.clear();
    return checkSource(text, file);
  }
}

interface CachedChunk {
  decls: A.Decl[];
  /** Where the trees' positions currently start: offset and 0-based line of the chunk. */
  offset: number;
  line: number;
}

interface Chunk {
  text: string;
  offset: number;
  /** 0-based line of the chunk's first character (chunks start at line starts). */
  line: number;
}

/**
 * A line that starts with a name: the lexer's name pattern, so the word is
 * the token the lexer would make there, and it starts a declaration when it
 * is one of the declaration keywords (reserved: nothing else can be spelt
 * so). A line start is never inside a string or comment (neither spans
 * lines), which is why a scan of line starts finds exactly the declarations
 * that start a line. This runs on the whole document at every keystroke, so
 * it is a regex over line starts rather than a lexer pass over every
 * character; a declaration after other blanks (\f, U+00A0) or mid-line is
 * just not cut at, which costs a larger chunk, never a wrong result.
 */
const WORD_LINE = new RegExp(`^[ \\t]*(${NAME_PATTERN.source})`, "gm");
const DOC_LINE = new RegExp(`^[ \\t]*${(DocComment.PATTERN as RegExp).source}`);

/** Cuts at every line that starts a declaration, moved up over the `##` lines right above it. */
export function chunksOf(text: string): Chunk[] {
  const starts: number[] = [];
  WORD_LINE.lastIndex = 0;
  for (let m = WORD_LINE.exec(text); m; m = WORD_LINE.exec(text)) {
    if (!DECLARATION_WORDS.has(m[1]!)) continue;
    let start = m.index;
    while (start > 0) {
      const prevStart = text.lastIndexOf("\n", start - 2) + 1;
      if (!DOC_LINE.test(text.slice(prevStart, start))) break;
      start = prevStart;
    }
    if (starts.length === 0 || start > starts[starts.length - 1]!) starts.push(start);
  }
  if (starts[0] !== 0) starts.unshift(0);
  const chunks: Chunk[] = [];
  let line = 0;
  for (let i = 0; i < starts.length; i++) {
    const offset = starts[i]!;
    const end = starts[i + 1] ?? text.length;
    const chunkText = text.slice(offset, end);
    chunks.push({ text: chunkText, offset, line });
    for (let j = chunkText.indexOf("\n"); j !== -1; j = chunkText.indexOf("\n", j + 1)) line++;
  }
  return chunks;
}

/** Moves every position in the cached trees to a chunk that now starts at `offset`, `line`. */
function moveTo(entry: CachedChunk, offset: number, line: number): void {
  const dOffset = offset - entry.offset;
  const dLine = line - entry.line;
  if (dOffset === 0 && dLine === 0) return;
  const seen = new Set<object>();
  const walk = (node: unknown): void => {
    if (typeof node !== "object" || node === null || seen.has(node)) return;
    seen.add(node);
    if (Array.isArray(node)) {
      for (const item of node) walk(item);
      return;
    }
    const o = node as Record<string, unknown>;
    if (typeof o["offset"] === "number" && typeof o["line"] === "number" && typeof o["column"] === "number") {
      (o as unknown as A.Position).offset += dOffset;
      (o as unknown as A.Position).line += dLine;
      return;
    }
    for (const key in o) walk(o[key]);
  };
  walk(entry.decls);
  entry.offset = offset;
  entry.line = line;
}

import assert from "node:assert/strict";
import { CATALOG } from "../../src/diagnostics/catalog.js";
import type { Diagnostic } from "../../src/diagnostics/diagnostic.js";

/** Lines as an editor counts them: \n, \r\n and \r all end a line. */
export function lineCount(text: string): number {
  return text.split(/\r\n|\r|\n/).length;
}

/** 1-based line and column of a 0-based UTF-16 offset, computed independently of src/. */
export function positionOf(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

const before = (a: { line: number; column: number }, b: { line: number; column: number }) => a.line < b.line || (a.line === b.line && a.column <= b.column);

/**
 * Every diagnostic has a catalog code, the catalog's severity, a message, and
 * a 1-based range inside `text` whose line/column agree with its offsets.
 */
export function assertWellFormed(diagnostics: readonly Diagnostic[], text: string, file: string, context = ""): void {
  const lines = lineCount(text);
  const where = (d: Diagnostic) => `${context}${context ? ": " : ""}${d.code} ${JSON.stringify(d.range)} "${d.message.slice(0, 120)}"`;
  for (const d of diagnostics) {
    assert.ok(Object.hasOwn(CATALOG, d.code), `unknown code: ${where(d)}`);
    assert.equal(d.severity, CATALOG[d.code].severity, `severity differs from the catalog: ${where(d)}`);
    assert.ok(typeof d.message === "string" && d.message.trim().length > 0, `empty message: ${where(d)}`);
    assert.equal(d.file, file, `wrong file: ${where(d)}`);
    const { start, end } = d.range;
    for (const p of [start, end]) {
      assert.ok(Number.isInteger(p.line) && Number.isInteger(p.column) && Number.isInteger(p.offset), `non-integer position: ${where(d)}`);
      assert.ok(p.line >= 1 && p.line <= lines + 1, `line outside the file (${lines} lines): ${where(d)}`);
      assert.ok(p.column >= 1, `column below 1: ${where(d)}`);
      assert.ok(p.offset >= 0 && p.offset <= text.length, `offset outside the file (${text.length} chars): ${where(d)}`);
    }
    assert.ok(start.offset <= end.offset, `start after end: ${where(d)}`);
    assert.ok(before(start, end), `start after end: ${where(d)}`);
    assert.deepEqual({ line: start.line, column: start.column }, positionOf(text, start.offset), `start line/column disagree with its offset: ${where(d)}`);
    assert.deepEqual({ line: end.line, column: end.column }, positionOf(text, end.offset), `end line/column disagree with its offset: ${where(d)}`);
  }
}

export function errorsOf(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return diagnostics.filter((d) => d.severity === "error");
}

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../helpers/paths.js";
import { Grammar, type RawGrammar, type Token } from "./textmate.js";

export const GRAMMAR_PATH = join(repoRoot(), "grammar", "mtl.tmLanguage.json");
export const SNAPSHOT_DIR = join(repoRoot(), "test", "grammar", "snapshots");

export function rawGrammar(): RawGrammar {
  return JSON.parse(readFileSync(GRAMMAR_PATH, "utf8")) as RawGrammar;
}

let cached: Grammar | undefined;
export function mtlGrammar(): Grammar {
  cached ??= new Grammar(rawGrammar());
  return cached;
}

export interface LineToken extends Token {
  line: number; // 1-based
  text: string;
}

/** Tokens of a whole text, with their line and text. */
export function tokenize(text: string, grammar: Grammar = mtlGrammar()): LineToken[] {
  const lines = text.split(/\r?\n/);
  const out: LineToken[] = [];
  grammar.tokenizeText(text).forEach((tokens, i) => {
    for (const t of tokens) out.push({ ...t, line: i + 1, text: lines[i]!.slice(t.startIndex, t.endIndex) });
  });
  return out;
}

/**
 * One line per token: `line:col "text" scope scope ...` (col 1-based, text
 * JSON-quoted). Tokens with only the root scope are trimmed, and left out when blank.
 */
export function formatSnapshot(tokens: { line: number; startIndex: number; text: string; scopes: string[] }[]): string {
  const rows: string[] = [];
  for (const t of tokens) {
    let { text, startIndex } = t;
    if (t.scopes.length === 1) {
      // Unscoped gaps (plain names and the blanks around them) are shown trimmed.
      startIndex += text.length - text.trimStart().length;
      text = text.trim();
    }
    if (text !== "") rows.push(`${t.line}:${startIndex + 1} ${JSON.stringify(text)} ${t.scopes.join(" ")}`);
  }
  return rows.join("\n") + "\n";
}

/** The scopes of the first token whose text is exactly `text` (on `line`, if given). */
export function scopesOf(tokens: LineToken[], text: string, line?: number): string[] {
  const token = tokens.find((t) => t.text === text && (line === undefined || t.line === line));
  if (!token) throw new Error(`no token ${JSON.stringify(text)}${line ? ` on line ${line}` : ""} in:\n${formatSnapshot(tokens)}`);
  return token.scopes;
}

/**
 * Properties of the formatter over the example specs, perturbed:
 *
 * - whitespace and newlines between tokens changed at random (the formatted
 *   result must be idempotent and keep every token and comment);
 * - token-level mutations (delete, duplicate, swap, insert a token or a
 *   trailing comma); the mutants that still parse must format the same way.
 *
 * Runs default to 300 each; MTL_FUZZ_RUNS overrides, MTL_FUZZ_SEED replays.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import fc from "fast-check";
import { formatParsed, formatSource } from "../../src/format/index.js";
import { significantTokens } from "../../src/format/verify.js";
import { allComments, lex } from "../../src/syntax/lexer.js";
import { LineIndex } from "../../src/syntax/range.js";
import { parseText } from "../../src/syntax/parse.js";
import { exampleSpecs } from "../helpers/paths.js";

const RUNS = Number(process.env["MTL_FUZZ_RUNS"]) > 0 ? Number(process.env["MTL_FUZZ_RUNS"]) : 300;
const SEED = process.env["MTL_FUZZ_SEED"] !== undefined ? Number(process.env["MTL_FUZZ_SEED"]) : 20_240_607;

const SPECS = exampleSpecs().map((f) => readFileSync(f, "utf8"));

/** Tokens and comments of a spec, in order. */
function pieces(text: string): string[] {
  const lexed = lex(new LineIndex(text), "");
  return [...lexed.tokens, ...allComments(lexed)].sort((a, b) => a.startOffset - b.startOffset).map((t) => t.image);
}

const PUNCTUATION = /^[()[\]{}:=,*]$/;
const SEPARATORS = [" ", "  ", "\t", "\n", "\n\n", "\n\n\n", " \n  ", "\r\n", "\n\t"];

/** Joins pieces with the chosen separators, keeping the text lexable: comments end their line, words stay apart. */
function join(parts: string[], choices: number[]): string {
  let out = parts[0] ?? "";
  for (let k = 1; k < parts.length; k++) {
    const prev = parts[k - 1]!;
    const next = parts[k]!;
    const choice = choices[k % choices.length]!;
    let sep = choice < 0 ? "" : SEPARATORS[choice % SEPARATORS.length]!;
    if (sep === "" && !PUNCTUATION.test(prev) && !PUNCTUATION.test(next)) sep = " ";
    if (prev.startsWith("#") && !sep.includes("\n")) sep = "\n";
    out += sep + next;
  }
  return out + "\n";
}

function checkFormats(source: string): void {
  const result = formatSource(source, "fuzz.mtl");
  assert.ok(result.text !== undefined, `a spec that parses formats:\n${source}`);
  const formatted = formatParsed(source); // strict: throws on any layout bug
  assert.equal(result.text, formatted);
  assert.deepEqual(significantTokens(formatted), significantTokens(source), "tokens and comments unchanged");
  assert.equal(formatParsed(formatted), formatted, `idempotent; first pass:\n${formatted}`);
  assert.doesNotMatch(formatted, /[ \t]$/m, "no trailing whitespace");
  const before = parseText(source, "fuzz.mtl").ast;
  const after = parseText(formatted, "fuzz.mtl").ast;
  // The AST gives a doc comment to every declaration starting on the next line; only the first one on a line counts here.
  const docs = (decls: typeof before.decls) => decls.map((d, k) => (k > 0 && decls[k - 1]!.range.start.line === d.range.start.line ? undefined : d.doc));
  assert.deepEqual(docs(after.decls), docs(before.decls), "doc comments stay with their declarations");
}

test("random whitespace between tokens: idempotent, tokens kept", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: SPECS.length - 1 }), fc.array(fc.integer({ min: -3, max: 40 }), { minLength: 1, maxLength: 64 }), (which, choices) => {
      const source = join(pieces(SPECS[which]!), choices);
      assert.deepEqual(significantTokens(source), significantTokens(SPECS[which]!));
      checkFormats(source);
      // The same tokens on one line each give the same layout apart from blank lines and comment placement.
    }),
    { numRuns: RUNS, seed: SEED },
  );
});

test("whitespace without line breaks or with only single line breaks gives the same result", () => {
  // With comments kept on their lines and no blank lines added or removed, the layout is a function of the tokens.
  for (const spec of SPECS) {
    const expected = formatParsed(spec);
    const spaced = spec
      .split("\n")
      .map((l) => (l.includes("#") ? l : l.replace(/([(\[,:=*])(?=\S)/g, "$1   ").replace(/ +$/, "")))
      .join("\n");
    assert.equal(formatParsed(spaced), expected);
  }
});

const INSERTS = ["model", "feature", "task", "x", "label", "where", "is", "over", "1", "0.5", '"s"', "*", ",", ":", "=", "(", ")", "[", "]", "{", "}", "# c\n", "## d\n", "\n\n"];

test("mutated specs that still parse: idempotent, tokens kept", () => {
  let parsed = 0;
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: SPECS.length - 1 }),
      fc.array(fc.tuple(fc.integer({ min: 0, max: 4 }), fc.nat(), fc.nat()), { minLength: 1, maxLength: 4 }),
      (which, edits) => {
        const parts = pieces(SPECS[which]!);
        for (const [op, at, what] of edits) {
          if (parts.length === 0) break;
          const k = at % parts.length;
          if (op === 0) parts.splice(k, 1);
          else if (op === 1) parts.splice(k, 0, parts[k]!);
          else if (op === 2 && k + 1 < parts.length) [parts[k], parts[k + 1]] = [parts[k + 1]!, parts[k]!];
          else if (op === 3) parts.splice(k, 0, INSERTS[what % INSERTS.length]!);
          else {
            // A trailing comma before a closing bracket: always valid.
            const close = parts.findIndex((p, j) => j >= k && (p === ")" || p === "]") && parts[j - 1] !== "," && parts[j - 1] !== "(" && parts[j - 1] !== "[");
            if (close > 0) parts.splice(close, 0, ",");
          }
        }
        const source = join(parts, [(at(edits) % 5) - 1, 3, 0, 4]);
        if (parseText(source, "fuzz.mtl").diagnostics.some((d) => d.severity === "error")) {
          assert.equal(formatSource(source, "fuzz.mtl").text, undefined);
          return;
        }
        parsed++;
        checkFormats(source);
      },
    ),
    { numRuns: RUNS * 3, seed: SEED },
  );
  assert.ok(parsed > RUNS / 10, `too few mutants parse (${parsed}) to test anything`);
});

function at(edits: [number, number, number][]): number {
  return edits.reduce((s, [a, b, c]) => s + a + b + c, 0);
}

/**
 * The spec-mutation property, shared by the CI test
 * (mutation.property.test.ts: a few thousand runs with a fixed seed) and the
 * long fuzz run (bench/fuzz.ts, `npm run fuzz`: a time budget or a run count,
 * and a fresh or given seed).
 *
 * Property: whatever a user (or a fuzzer) does to a valid spec, the front end
 * answers with well-formed diagnostics, never an exception, and never half a
 * result: an IR exists exactly when there are no errors, and that IR is valid
 * against the schema, also after a JSON round trip.
 *
 * Mutations of the example specs: delete a range, insert random characters or
 * tokens of the language, duplicate or swap lines, misspell a name, flip bits
 * (so the input may stop being valid UTF-8).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import fc from "fast-check";
import { compileSource } from "../../src/compiler.js";
import { hasErrors } from "../../src/diagnostics/diagnostic.js";
import { validateIr } from "../../src/ir/validate.js";
import { assertWellFormed } from "../helpers/diagnostics.js";
import { exampleSpecs } from "../helpers/paths.js";

export const SPECS = exampleSpecs().map((path) => ({ name: basename(path), text: readFileSync(path, "utf8") }));

/** Tokens of the language (and a few nasty characters) to splice into specs. */
const VOCABULARY = [
  "(", ")", "[", "]", "{", "}", ",", "=", "*", ":", '"', "#", "##", "## doc\n", "\n", "\r", "\r\n", " ", "\t",
  "model", "feature", "input", "expert", "gate", "tower", "task", "train", "data",
  "over", "label", "is", "where", "weight", "loss",
  "mlp", "concat", "softmax", "categorical", "numeric", "sequence", "binary", "regression",
  "relu", "relux", "adam", "sgd", "huber", "bce", "mse", "csv", "jsonl", "parquet",
  "buckets:", "dim:", "vocab:", "of:", "max_len:", "dropout:", "activation:", "lr:", "batch:", "epochs:", "columns:", "format:",
  "x", "e", "ctr", "cvr", "ctr_tower", "click", "purchase", "user_id", "_",
  "0", "1", "-1", "0.5", "1.0", "10_000", "1e-9", "1e999", "9".repeat(400), "-0", ".5", "1_", "0x10",
  '""', '"unterminated', '"esc\\"', "\\", "\u00a0", "\ufeff", "\u2028", "é", "😀", "\u0000", "\uFFFD",
];

const IDENT = /[A-Za-z_][A-Za-z0-9_]*/g;

export type Mutation =
  | { kind: "delete"; at: number; length: number }
  | { kind: "insertText"; at: number; text: string }
  | { kind: "insertTokens"; at: number; tokens: string[] }
  | { kind: "insertNumber"; at: number; value: number }
  | { kind: "duplicateLine"; line: number }
  | { kind: "swapLines"; a: number; b: number }
  | { kind: "nearMiss"; which: number; edit: "drop" | "double" | "swap" | "replace" | "case"; at: number; char: string }
  | { kind: "flipByte"; at: number; bit: number };

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 80 }) }),
  fc.record({
    kind: fc.constant("insertText" as const),
    at: fc.nat(),
    text: fc.oneof(fc.string({ maxLength: 6 }), fc.string({ unit: "binary", maxLength: 4 }), fc.string({ unit: "grapheme", maxLength: 3 })),
  }),
  { arbitrary: fc.record({ kind: fc.constant("insertTokens" as const), at: fc.nat(), tokens: fc.array(fc.constantFrom(...VOCABULARY), { minLength: 1, maxLength: 4 }) }), weight: 3 },
  fc.record({ kind: fc.constant("insertNumber" as const), at: fc.nat(), value: fc.oneof(fc.integer(), fc.double({ noNaN: false })) }),
  fc.record({ kind: fc.constant("duplicateLine" as const), line: fc.nat() }),
  fc.record({ kind: fc.constant("swapLines" as const), a: fc.nat(), b: fc.nat() }),
  {
    arbitrary: fc.record({
      kind: fc.constant("nearMiss" as const),
      which: fc.nat(),
      edit: fc.constantFrom("drop" as const, "double" as const, "swap" as const, "replace" as const, "case" as const),
      at: fc.nat(),
      char: fc.constantFrom("a", "e", "s", "_", "1", "x"),
    }),
    weight: 3,
  },
  fc.record({ kind: fc.constant("flipByte" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
);

function applyText(text: string, m: Exclude<Mutation, { kind: "flipByte" }>): string {
  const pos = (at: number) => (text.length === 0 ? 0 : at % (text.length + 1));
  switch (m.kind) {
    case "delete": {
      const from = pos(m.at);
      return text.slice(0, from) + text.slice(from + m.length);
    }
    case "insertText":
      return text.slice(0, pos(m.at)) + m.text + text.slice(pos(m.at));
    case "insertTokens": {
      const joined = m.tokens.join(m.tokens.length > 1 && m.at % 2 === 0 ? " " : "");
      return text.slice(0, pos(m.at)) + joined + text.slice(pos(m.at));
    }
    case "insertNumber":
      return text.slice(0, pos(m.at)) + String(m.value) + text.slice(pos(m.at));
    case "duplicateLine": {
      const lines = text.split("\n");
      const i = m.line % lines.length;
      lines.splice(i, 0, lines[i]!);
      return lines.join("\n");
    }
    case "swapLines": {
      const lines = text.split("\n");
      const a = m.a % lines.length;
      const b = m.b % lines.length;
      [lines[a], lines[b]] = [lines[b]!, lines[a]!];
      return lines.join("\n");
    }
    case "nearMiss": {
      const names = [...text.matchAll(IDENT)];
      if (names.length === 0) return text;
      const hit = names[m.which % names.length]!;
      const name = hit[0];
      const i = m.at % name.length;
      const misspelt =
        m.edit === "drop" ? (name.length > 1 ? name.slice(0, i) + name.slice(i + 1) : name + m.char)
        : m.edit === "double" ? name.slice(0, i + 1) + name[i] + name.slice(i + 1)
        : m.edit === "swap" ? (name.length > 1 ? name.slice(0, Math.min(i, name.length - 2)) + name[Math.min(i, name.length - 2) + 1] + name[Math.min(i, name.length - 2)] + name.slice(Math.min(i, name.length - 2) + 2) : name + name)
        : m.edit === "replace" ? name.slice(0, i) + (name[i] === m.char ? "q" : m.char) + name.slice(i + 1)
        : name.slice(0, i) + (name[i]!.toUpperCase() === name[i] ? name[i]!.toLowerCase() : name[i]!.toUpperCase()) + name.slice(i + 1);
      return text.slice(0, hit.index) + misspelt + text.slice(hit.index + name.length);
    }
  }
}

/** Text mutations first; bit flips act on the UTF-8 bytes, so the input may stop being valid UTF-8. */
export function mutate(text: string, mutations: Mutation[], asBytes: boolean): string | Uint8Array {
  let out = text;
  const flips: Extract<Mutation, { kind: "flipByte" }>[] = [];
  for (const m of mutations) {
    if (m.kind === "flipByte") flips.push(m);
    else out = applyText(out, m);
  }
  if (flips.length === 0 && !asBytes) return out;
  const bytes = new Uint8Array(Buffer.from(out, "utf8"));
  for (const f of flips) if (bytes.length) bytes[f.at % bytes.length]! ^= 1 << f.bit;
  return bytes;
}

/** What the mutants were like, for the run's summary line. */
export interface MutationStats {
  withErrors: number;
  clean: number;
  codes: Set<string>;
}

export function newStats(): MutationStats {
  return { withErrors: 0, clean: 0, codes: new Set() };
}

/** One generated case: which example spec, the mutations, and whether the text is handed over as bytes. */
export type MutationCase = [specIndex: number, mutations: Mutation[], asBytes: boolean];

export const caseArb: fc.Arbitrary<MutationCase> = fc.tuple(
  fc.integer({ min: 0, max: SPECS.length - 1 }),
  fc.array(mutationArb, { minLength: 1, maxLength: 5 }),
  fc.boolean(),
);

/** The input a case compiles: the mutated text, or its bytes. */
export function mutantOf([specIndex, mutations, asBytes]: MutationCase): { name: string; input: string | Uint8Array } {
  const spec = SPECS[specIndex]!;
  return { name: spec.name, input: mutate(spec.text, mutations, asBytes) };
}

/** The property for one case; throws (an assertion error) when it does not hold. */
export function checkMutant(c: MutationCase, stats: MutationStats): void {
  const { name, input } = mutantOf(c);
  const result = compileSource(input, name);
  assert.equal(typeof result.text, "string");
  assertWellFormed(result.diagnostics, result.text, name);
  for (const d of result.diagnostics) stats.codes.add(d.code);
  if (hasErrors(result.diagnostics)) {
    stats.withErrors++;
    assert.equal(result.ir, undefined, "an IR was produced for a spec with errors");
  } else {
    stats.clean++;
    assert.ok(result.ir, "no IR for a spec without errors");
    assert.deepEqual(validateIr(result.ir), [], "the IR of an error-free spec violates the schema");
    assert.deepEqual(validateIr(JSON.parse(JSON.stringify(result.ir))), [], "the IR does not survive a JSON round trip");
  }
}

export function mutationProperty(stats: MutationStats): fc.IProperty<[MutationCase]> {
  return fc.property(caseArb, (c) => checkMutant(c, stats));
}

/**
 * Property: whatever a user (or a fuzzer) does to a valid spec, the front end
 * answers with diagnostics, never an exception, and never half a result.
 *
 * Mutations of the example specs: delete a range, insert random characters or
 * tokens of the language, duplicate or swap lines, misspell a name, flip bits.
 *
 * The run count defaults to 1500 (about 10-30 s on a small machine). For a
 * longer fuzz run, set MTL_FUZZ_RUNS, e.g.
 *
 *   MTL_FUZZ_RUNS=100000 node --test dist/test/robustness/mutation.property.test.js
 *
 * A fuzz run picks a fresh seed each time; MTL_FUZZ_SEED=<n> replays the seed
 * printed by a failing run (the default run always uses one fixed seed).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import { compileSource } from "../../src/compiler.js";
import { hasErrors } from "../../src/diagnostics/diagnostic.js";
import { validateIr } from "../../src/ir/validate.js";
import { assertWellFormed } from "../helpers/diagnostics.js";
import { exampleSpecs } from "../helpers/paths.js";

const RUNS = positiveInt(process.env["MTL_FUZZ_RUNS"], 1500);
/**
 * A fixed seed keeps the default run reproducible; a fuzz run (MTL_FUZZ_RUNS
 * set) explores a fresh seed each time unless MTL_FUZZ_SEED pins one.
 */
const SEED = process.env["MTL_FUZZ_SEED"] !== undefined
  ? Number(process.env["MTL_FUZZ_SEED"])
  : process.env["MTL_FUZZ_RUNS"] !== undefined
    ? Math.floor(Math.random() * 2 ** 31)
    : 20_240_601;

function positiveInt(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return value !== undefined && Number.isInteger(n) && n > 0 ? n : fallback;
}

const SPECS = exampleSpecs().map((path) => ({ name: basename(path), text: readFileSync(path, "utf8") }));

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

type Mutation =
  | { kind: "delete"; at: number; length: number }
  | { kind: "insertText"; at: number; text: string }
  | { kind: "insertTokens"; at: number; tokens: string[] }
  | { kind: "insertNumber"; at: number; value: number }
  | { kind: "duplicateLine"; line: number }
  | { kind: "swapLines"; a: number; b: number }
  | { kind: "nearMiss"; which: number; edit: "drop" | "double" | "swap" | "replace" | "case"; at: number; char: string }
  | { kind: "flipByte"; at: number; bit: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
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
function mutate(text: string, mutations: Mutation[], asBytes: boolean): string | Uint8Array {
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

test(`mutated example specs: diagnostics are well formed and IR exists exactly when there are no errors (${RUNS} runs)`, (t) => {
  const started = performance.now();
  let withErrors = 0;
  let clean = 0;
  const codes = new Set<string>();
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: SPECS.length - 1 }),
      fc.array(mutationArb, { minLength: 1, maxLength: 5 }),
      fc.boolean(),
      (specIndex, mutations, asBytes) => {
        const spec = SPECS[specIndex]!;
        const input = mutate(spec.text, mutations, asBytes);
        const result = compileSource(input, spec.name);
        assert.equal(typeof result.text, "string");
        assertWellFormed(result.diagnostics, result.text, spec.name);
        for (const d of result.diagnostics) codes.add(d.code);
        if (hasErrors(result.diagnostics)) {
          withErrors++;
          assert.equal(result.ir, undefined, "an IR was produced for a spec with errors");
        } else {
          clean++;
          assert.ok(result.ir, "no IR for a spec without errors");
          assert.deepEqual(validateIr(result.ir), [], "the IR of an error-free spec violates the schema");
          assert.deepEqual(validateIr(JSON.parse(JSON.stringify(result.ir))), [], "the IR does not survive a JSON round trip");
        }
      },
    ),
    { numRuns: RUNS, seed: SEED, includeErrorInReport: true },
  );
  t.diagnostic(`seed ${SEED}: ${RUNS} runs in ${((performance.now() - started) / 1000).toFixed(1)} s: ${withErrors} with errors, ${clean} without; codes seen: ${[...codes].sort().join(" ")}`);
  // The generator must exercise both outcomes, or the property says little.
  assert.ok(withErrors > RUNS / 10, `only ${withErrors} of ${RUNS} mutants had errors`);
  assert.ok(clean > 0 || RUNS < 200, `no mutant of ${RUNS} was error-free`);
});

/**
 * Property (see spec-mutation.ts): whatever a user (or a fuzzer) does to a
 * valid spec, the front end answers with diagnostics, never an exception,
 * and never half a result.
 *
 * CI runs 4,000 mutants with one fixed seed (about 15-25 s on a small
 * machine). The long fuzz run is `npm run fuzz` (bench/fuzz.ts): the same
 * property with a time budget or a run count and a fresh seed, printing any
 * counterexample with the seed and path that replay it.
 *
 * MTL_FUZZ_RUNS=<n> changes the count here; MTL_FUZZ_SEED=<n> replays a seed.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { mutationProperty, newStats } from "./spec-mutation.js";

const RUNS = positiveInt(process.env["MTL_FUZZ_RUNS"], 4000);
const SEED = process.env["MTL_FUZZ_SEED"] !== undefined ? Number(process.env["MTL_FUZZ_SEED"]) : 20_240_601;

function positiveInt(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return value !== undefined && Number.isInteger(n) && n > 0 ? n : fallback;
}

test(`mutated example specs: diagnostics are well formed and IR exists exactly when there are no errors (${RUNS} runs)`, (t) => {
  const started = performance.now();
  const stats = newStats();
  fc.assert(mutationProperty(stats), { numRuns: RUNS, seed: SEED, includeErrorInReport: true });
  t.diagnostic(
    `seed ${SEED}: ${RUNS} runs in ${((performance.now() - started) / 1000).toFixed(1)} s: ${stats.withErrors} with errors, ${stats.clean} without; codes seen: ${[...stats.codes].sort().join(" ")}`,
  );
  // The generator must exercise both outcomes, or the property says little.
  assert.ok(stats.withErrors > RUNS / 10, `only ${stats.withErrors} of ${RUNS} mutants had errors`);
  assert.ok(stats.clean > 0 || RUNS < 200, `no mutant of ${RUNS} was error-free`);
});

/**
 * The Parquet reader on damaged files (issue #14 item 7): the layout checks
 * of src/data/readers/parquet-layout.ts, run on every single-byte change of a
 * small file and on the changes that made hyparquet spin for minutes.
 *
 * The cases run in a worker under a watchdog (test/robustness/mutation-worker.ts):
 * a decoder stuck in a loop blocks its thread, so in process a hang could not
 * fail the test, only stall it.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { ParquetCase } from "../../robustness/parquet-mutation.js";
import { ESMM_SEED, MIXED_SEED } from "../../robustness/parquet-mutation.js";
import { runWatched, type MutationReport } from "../../robustness/mutation-worker.js";
import { readAll, parquetOptions, tempFolder } from "./helpers.js";

const dir = tempFolder("parquet-layout");

/** A case must finish within this; the spins of the issue ran for minutes. */
const STALL_MS = 5_000;

async function scan(cases: ParquetCase[]): Promise<MutationReport> {
  return runWatched({ target: "parquet", dir, seed: 0, runs: null, seconds: null, path: null, cases }, STALL_MS);
}

function assertHeld(report: MutationReport, cases: number): void {
  assert.equal(report.failed, false, `case ${report.counterexample}: ${report.error}`);
  assert.equal(report.numRuns, cases);
}

test("the changed bytes that made predict and eval spin are refused at once, naming the page", async () => {
  // In `mtl generate esmm --rows 500` as Parquet: bytes 15 and 20 are the high bytes of the first
  // page's value and row counts, 24 its definition levels' size, 4686 a run length inside the
  // 'category' page's dictionary indexes. Each, flipped, ran hyparquet's decoder for minutes.
  const spins = [15, 20, 24, 4686];
  const report = await scan(spins.map((at) => [ESMM_SEED, [{ kind: "invert", at }]] as ParquetCase));
  assertHeld(report, spins.length);
  assert.equal(report.refused, spins.length, "each of these is damage the reader must refuse");

  // The same in process, for the wording: the page and column are named, and the fix.
  const bytes = readFileSync(join(dir, "esmm.parquet"));
  for (const [at, column, says] of [
    [15, "user_id", /page at byte 4: it says \d+ values but only 500 of the column's values are left$/],
    [4686, "category", /page at byte \d+: a run of \d+ repeated values is longer than the page's 500 values$/],
  ] as const) {
    const damaged = Buffer.from(bytes);
    damaged[at]! ^= 0xff;
    const file = join(dir, `spin-${at}.parquet`);
    writeFileSync(file, damaged);
    const { records, error } = await readAll(file, parquetOptions());
    assert.equal(records.length, 0);
    assert.ok(error, `byte ${at}`);
    assert.equal(error.line, 1);
    assert.match(error.message, new RegExp(`^the Parquet rows 1-500 cannot be decoded: row group 1 of 1, column '${column}', `));
    assert.match(error.message, says);
    assert.match(error.hint ?? "", /damaged or was not fully written/);
  }
});

test("single-byte changes of a small three-group file (its first page header and footer byte by byte, a stride through the rest) and truncations: the same rows' shape or a file error, never a hang or another exception", async () => {
  await scan([]); // writes the seeds
  const size = readFileSync(join(dir, "mixed.parquet")).length;
  const positions = new Set<number>();
  for (let at = 0; at < size; at++) if (at < 64 || at >= size - 320 || at % 7 === 0) positions.add(at);
  const cases: ParquetCase[] = [...positions].map((at) => [MIXED_SEED, [{ kind: "invert", at }]]);
  for (let at = 0; at < size; at += 97) cases.push([MIXED_SEED, [{ kind: "truncate", at }]]);
  const report = await scan(cases);
  assertHeld(report, cases.length);
  // Both outcomes occur (a changed byte inside a value reads as another value: pages carry no checksum).
  assert.ok(report.refused > cases.length / 2 && report.ok > 0, `${report.ok} read, ${report.refused} refused`);
});

/**
 * The census sample the playground trains census-mmoe.mtl on holds exactly the
 * records mtl's own reader reads from the repository's census file with that
 * spec's data section, and every column the spec reads.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { sampleRecords, type CensusSample } from "../../playground/src/census-sample.js";
import { CENSUS_SAMPLE_SOURCE, writeCensusSample } from "../../scripts/playground/census-sample.js";
import { compileSource } from "../../src/compiler.js";
import type { RawRecord } from "../../src/data/record.js";
import { readRecords } from "../../src/data/readers/index.js";
import { neededColumns } from "../../src/train/columns.js";
import { repoRoot } from "../helpers/paths.js";

test("the census sample is the census file's records as mtl reads them, with every column census-mmoe.mtl reads", async () => {
  const out = mkdtempSync(join(tmpdir(), "mtl-census-sample-"));
  try {
    const sample = JSON.parse(readFileSync(await writeCensusSample(out), "utf8")) as CensusSample;
    const ir = compileSource(readFileSync(join(repoRoot(), "specs", "census-mmoe.mtl"), "utf8"), "census-mmoe.mtl").ir!;
    const read: RawRecord[] = [];
    for await (const record of readRecords(CENSUS_SAMPLE_SOURCE, ir.data)) read.push(record);
    assert.equal(read.length, 1891);
    assert.deepEqual(sampleRecords(sample), read);
    const columns = new Set(sample.columns);
    assert.deepEqual(neededColumns(ir, true).map((n) => n.column).filter((c) => !columns.has(c)), []);
    assert.match(sample.attribution, /Kohavi.*CC BY 4\.0/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

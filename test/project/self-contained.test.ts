/**
 * The repository stands alone: a fresh clone with nothing beside it passes
 * its tests, so no source, test, bench or CI file may name a path outside it.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";
import { CENSUS_DIR, CENSUS_HEAD_FILE, CENSUS_TEST_FILE } from "../../src/experiments/census/data-files.js";
import { repoRoot } from "../helpers/paths.js";

const ROOT = repoRoot();
// Built from pieces so that this file does not match itself.
const OUTSIDE = new RegExp(["\\.\\./", "shared", "|/work/", "shared"].join(""));

function* filesUnder(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* filesUnder(path);
    else if (entry.isFile()) yield path;
  }
}

test("no file under src/, test/, bench/ or .ci/ names the sibling shared folder", () => {
  const offenders: string[] = [];
  let scanned = 0;
  for (const top of ["src", "test", "bench", ".ci"]) {
    for (const file of filesUnder(join(ROOT, top))) {
      scanned++;
      readFileSync(file, "utf8")
        .split("\n")
        .forEach((line, i) => {
          if (OUTSIDE.test(line)) offenders.push(`${relative(ROOT, file)}:${i + 1}: ${line.trim()}`);
        });
    }
  }
  assert.ok(scanned > 100, `expected to scan the project's files, scanned ${scanned}`);
  assert.deepEqual(offenders, [], "read data from data/ in the repository instead");
});

test("the census files the tests read are in the repository, with their source and licence", () => {
  assert.equal(relative(ROOT, CENSUS_DIR), join("data", "census-income-kdd"));
  assert.equal(statSync(CENSUS_TEST_FILE).size, 3_261_416, "census-income.test.gz as distributed");
  assert.equal(statSync(CENSUS_HEAD_FILE).size, 986_005, "the 1,891-row head of census-income.data");
  assert.ok(existsSync(join(CENSUS_DIR, "census-income.names")));
  const source = readFileSync(join(CENSUS_DIR, "SOURCE.md"), "utf8");
  for (const needed of ["CC BY 4.0", "Kohavi", "archive.ics.uci.edu", "a8c39dce642efb4d17f28ebe74a3c271"]) {
    assert.ok(source.includes(needed), `SOURCE.md should state ${needed}`);
  }
});

import { join } from "node:path";
import { packageRoot } from "../../util/package-root.js";

/**
 * The census files the repository ships (data/census-income-kdd/SOURCE.md
 * gives their origin, licence and attribution). The published npm package
 * carries the test file and SOURCE.md, for `mtl demo`; the rest of data/
 * stays out (package.json's "files").
 */
export const CENSUS_DIR = join(packageRoot(), "data", "census-income-kdd");
/** All 99,762 rows of UCI's test file, gzipped as distributed. */
export const CENSUS_TEST_FILE = join(CENSUS_DIR, "census-income.test.gz");
/** Its rows (test/train/census.test.ts counts them). */
export const CENSUS_TEST_ROWS = 99_762;
/** The first 1,891 rows of UCI's training file. */
export const CENSUS_HEAD_FILE = join(CENSUS_DIR, "census-income.data.head-1891rows");

import { join } from "node:path";
import { packageRoot } from "../../util/package-root.js";

/**
 * The census files the repository ships (data/census-income-kdd/SOURCE.md
 * gives their origin, licence and attribution). The published npm package
 * leaves data/ out: only tests, experiments and docs read these.
 */
export const CENSUS_DIR = join(packageRoot(), "data", "census-income-kdd");
/** All 99,762 rows of UCI's test file, gzipped as distributed. */
export const CENSUS_TEST_FILE = join(CENSUS_DIR, "census-income.test.gz");
/** The first 1,891 rows of UCI's training file. */
export const CENSUS_HEAD_FILE = join(CENSUS_DIR, "census-income.data.head-1891rows");

/**
 * Writes the playground's census sample (playground/src/census-sample.ts):
 * data/census-income-kdd's head of the training file, read with mtl's own
 * reader and specs/census-mmoe.mtl's data section (no header, trimmed
 * fields, `?` for missing), as JSON records.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { compileSource } from "../../src/compiler.js";
import type { RawRecord } from "../../src/data/record.js";
import { readRecords } from "../../src/data/readers/index.js";
import { packageRoot } from "../../src/util/package-root.js";
import { CENSUS_SAMPLE_PATH, sampleRows, type CensusSample } from "../../playground/src/census-sample.js";

const ROOT = packageRoot();
export const CENSUS_SAMPLE_SOURCE = join(ROOT, "data", "census-income-kdd", "census-income.data.head-1891rows");
const CENSUS_SPEC = join(ROOT, "specs", "census-mmoe.mtl");
const SOURCE_NOTE = join(ROOT, "data", "census-income-kdd", "SOURCE.md");

export async function writeCensusSample(out: string): Promise<string> {
  const ir = compileSource(readFileSync(CENSUS_SPEC, "utf8"), CENSUS_SPEC).ir;
  if (!ir?.data.columns) throw new Error(`${CENSUS_SPEC} does not compile to a spec with a data section's columns`);
  const records: RawRecord[] = [];
  for await (const record of readRecords(CENSUS_SAMPLE_SOURCE, ir.data)) records.push(record);
  const sample: CensusSample = {
    file: `census-income.data (UCI Census-Income (KDD), its first ${records.length} rows)`,
    attribution: `${attribution()} CC BY 4.0.`,
    columns: ir.data.columns,
    rows: sampleRows(records, ir.data.columns),
  };
  const path = join(out, CENSUS_SAMPLE_PATH);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(sample));
  return path;
}

/** The attribution line of the data's SOURCE.md, without its Markdown. */
function attribution(): string {
  const line = /\*\*Attribution:\*\*\s*([^\n]+(?:\n {2,}[^\n]+)*)/.exec(readFileSync(SOURCE_NOTE, "utf8"))?.[1];
  if (!line) throw new Error(`${SOURCE_NOTE} has no '**Attribution:**' line`);
  return line.replace(/\s+/g, " ").replace(/\*/g, "").trim();
}

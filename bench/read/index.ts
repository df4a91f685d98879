/**
 * Reading speed of the CSV reader (issue #16), in fields per second, on the
 * MMoE synthetic file (20,000 rows x 104 numeric columns, about 40 MB):
 *
 *   npx tsc -p tsconfig.json && node dist/bench/read/index.js [--rows N] [--file F]
 *
 * - csv-parse: the library mtl read CSV with before (tokenising only);
 * - scanner: mtl's tokeniser (tokenising only);
 * - mtl read+parse: the whole reader (records by column name, missing values)
 *   and every field parsed as a number, as training does;
 * - python csv+float: Python's csv module and float() on every field, the
 *   stand-in for pandas read_csv when pandas is not installed (pandas is
 *   used instead when it is).
 * Each is run 3 times; the best is reported.
 */
import { spawnSync } from "node:child_process";
import { createReadStream, existsSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "csv-parse";
import { CsvScanner } from "../../src/data/readers/csv-scanner.js";
import { readRecords } from "../../src/data/readers/index.js";
import { parseNumber } from "../../src/data/encode/numeric.js";
import { generateMmoe, mmoeColumns } from "../../src/data/synthetic/mmoe.js";
import { writeGenerated } from "../../src/data/synthetic/write.js";

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const rows = Number(option("--rows") ?? 20_000);
const file = option("--file") ?? join(tmpdir(), `mtl-bench-read-mmoe-${rows}.csv`);

if (!existsSync(file)) {
  console.error(`writing ${rows} rows to ${file}`);
  await writeGenerated(generateMmoe({ rows, correlation: 0.9, seed: 1 }), mmoeColumns(), file, rows);
}
const bytes = statSync(file).size;

async function csvParseFields(): Promise<number> {
  let fields = 0;
  const parser = parse({ delimiter: ",", bom: true, record_delimiter: ["\r\n", "\n"], skip_empty_lines: true, relax_column_count: true });
  parser.push = (record: unknown): boolean => {
    if (record !== null) fields += (record as string[]).length;
    return true;
  };
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 17 })) {
    await new Promise<void>((done) => parser.write(chunk, () => done()));
  }
  await new Promise<void>((done) => parser.end(() => done()));
  return fields;
}

async function scannerFields(): Promise<number> {
  let fields = 0;
  const scanner = new CsvScanner(",", false, (values) => (fields += values.length));
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 17 })) scanner.write(chunk as Buffer);
  scanner.end();
  return fields;
}

async function mtlReadParse(): Promise<number> {
  let fields = 0;
  let sum = 0;
  for await (const record of readRecords(file, { format: "csv", header: true, delimiter: ",", trim: false, missing: [""], columns: null })) {
    for (const name in record.fields) {
      sum += parseNumber(record.fields[name], name, "bench", false) ?? 0;
      fields++;
    }
  }
  if (!Number.isFinite(sum)) throw new Error("a number was misread");
  return fields;
}

const PYTHON = `
import sys, time
try:
    import pandas
    t = time.perf_counter()
    frame = pandas.read_csv(sys.argv[1])
    fields = frame.shape[0] * frame.shape[1]
    how = "pandas read_csv"
except ImportError:
    import csv
    t = time.perf_counter()
    fields = 0
    with open(sys.argv[1], newline="") as f:
        r = csv.reader(f)
        next(r)
        for row in r:
            [float(v) for v in row]
            fields += len(row)
    how = "python csv+float (pandas not installed)"
print(how, fields, time.perf_counter() - t)
`;

async function best(name: string, run: () => Promise<number>): Promise<void> {
  let seconds = Number.POSITIVE_INFINITY;
  let fields = 0;
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    fields = await run();
    seconds = Math.min(seconds, (performance.now() - started) / 1000);
  }
  report(name, fields, seconds);
}

function report(name: string, fields: number, seconds: number): void {
  console.log(
    `${name.padEnd(44)} ${(fields / seconds / 1e6).toFixed(2).padStart(7)} M fields/s  (${fields.toLocaleString("en")} fields, ${(bytes / seconds / 1e6).toFixed(0)} MB/s, ${seconds.toFixed(3)} s)`,
  );
}

console.log(`reading ${file} (${(bytes / 1e6).toFixed(1)} MB)`);
await best("csv-parse (tokenising only)", csvParseFields);
await best("mtl scanner (tokenising only)", scannerFields);
await best("mtl read + number parse (the reader's records)", mtlReadParse);
let py = { seconds: Number.POSITIVE_INFINITY, fields: 0, how: "" };
for (let i = 0; i < 3; i++) {
  const out = spawnSync("python3", ["-c", PYTHON, file], { encoding: "utf8" });
  if (out.status !== 0) {
    console.log(`python3: not available (${(out.stderr || String(out.error)).trim().split("\n").pop()})`);
    break;
  }
  const [how, fields, seconds] = out.stdout.trim().split(/ (?=\d)/);
  if (Number(seconds) < py.seconds) py = { how: how!, fields: Number(fields), seconds: Number(seconds) };
}
if (py.fields > 0) report(py.how, py.fields, py.seconds);

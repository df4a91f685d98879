/**
 * Reading speed (issue #16), in fields per second (rows x the file's
 * columns), of mtl's reader as training uses it against pandas on the same
 * files, measured side by side: every round runs each measurement once, in
 * turn, and the medians of the rounds are reported, with the ratios.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/read/index.js [--rounds N] [--only mmoe|census|categorical]
 *
 * Files (written to the temporary folder on first use, CSV and JSONL):
 * - mmoe: the MMoE synthetic data, 20,000 rows x 104 columns (100 numeric
 *   inputs, 2 labels, 2 unread), numbers written in full (17 digits);
 * - census: UCI Census-Income (data/census-income-kdd, 99,762 rows x 42,
 *   blanks after every delimiter, `?` for missing), as specs/census-mmoe.mtl reads it;
 * - categorical: 100,000 rows of 20 string categories, 2 numbers and a 0/1 label.
 *
 * Measurements:
 * - mtl scanner: the CSV tokeniser alone (no field decoded);
 * - mtl CSV / mtl JSONL: the whole reader as training uses it (encodeRows,
 *   with readLabelledBlocks for CSV and readLabelled for JSONL: reading,
 *   parsing numbers exactly, checking, hashing or looking up categories,
 *   normalising, storing the encoded rows), with an encoding fitted beforehand;
 *   CSV on one thread (the default), and on two (MTL_SPLIT_CSV=on: a file
 *   of SPLIT_MIN_BYTES or more, src/data/readers/csv-split.ts). Wall time,
 *   so two threads count as one read; pandas reads on one. The worker
 *   thread lives on between rounds, so the two-thread figure is that of a
 *   warm worker, better than a fresh process's first read;
 * - pandas CSV: `pandas.read_csv` (census: header=None, skipinitialspace,
 *   na_values=["?"], i.e. the same trimming and missing values);
 * - pandas JSONL: `pandas.read_json(lines=True)`.
 * Python is `$MTL_PYTHON`, else /usr/bin/python3, else python3 (one process
 * for the whole run, which times only the read itself).
 */
import { spawn, spawnSync } from "node:child_process";
import { createReadStream, existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { gunzipSync } from "node:zlib";
import { compileSource } from "../../src/compiler.js";
import { fitEncoding, createEncoder } from "../../src/data/encode/index.js";
import { parseDecimal } from "../../src/data/encode/decimal.js";
import { CsvScanner } from "../../src/data/readers/csv-scanner.js";
import { setReadThreads, SPLIT_MIN_BYTES } from "../../src/data/readers/csv-split.js";
import { readRecords } from "../../src/data/readers/index.js";
import type { ReadOptions } from "../../src/data/record.js";
import { generateMmoe, mmoeColumns } from "../../src/data/synthetic/mmoe.js";
import { writeGenerated } from "../../src/data/synthetic/write.js";
import { createRecordWriter } from "../../src/data/writers/index.js";
import { syntheticSpec } from "../../src/experiments/mmoe-synthetic/specs.js";
import type { ValidIR } from "../../src/ir/types.js";
import { SkipBudget } from "../../src/train/bad-rows.js";
import { encodeRows, readLabelledBlocks } from "../../src/train/encoded-rows.js";
import { readLabelled } from "../../src/train/trainer.js";
import { Rng } from "../../src/util/random.js";

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const rounds = Number(option("--rounds") ?? 5);
const only = option("--only");
const dir = tmpdir();

interface Workload {
  name: string;
  csv: string;
  jsonl: string;
  ir: ValidIR;
  columns: number;
  rows: number;
  /** The pandas call's keyword arguments for the CSV file. */
  pandasCsv: string;
}

function compile(source: string, name: string): ValidIR {
  const result = compileSource(source, name);
  if (!result.ir) throw new Error(`${name}: ${result.diagnostics.map((d) => d.message).join("; ")}`);
  return result.ir;
}

/** Writes `file` as JSONL from the records of a CSV file (numbers where the text is one). */
async function csvToJsonl(csv: string, read: ReadOptions, jsonl: string, columns: string[]): Promise<void> {
  const writer = createRecordWriter(jsonl, "jsonl", columns);
  for await (const record of readRecords(csv, read)) {
    const row: Record<string, string | number | null> = {};
    for (const c of columns) {
      const v = record.fields[c];
      const x = typeof v === "string" ? parseDecimal(v) : NaN;
      row[c] = x === x ? x : (v as string | null);
    }
    const pending = writer.write(row);
    if (pending) await pending;
  }
  await writer.close();
}

async function mmoeWorkload(): Promise<Workload> {
  const rows = 20_000;
  const csv = join(dir, `mtl-bench-read-mmoe-${rows}.csv`);
  const jsonl = join(dir, `mtl-bench-read-mmoe-${rows}.jsonl`);
  if (!existsSync(csv)) await writeGenerated(generateMmoe({ rows, correlation: 0.9, seed: 1 }), mmoeColumns(), csv, rows);
  if (!existsSync(jsonl)) await writeGenerated(generateMmoe({ rows, correlation: 0.9, seed: 1 }), mmoeColumns(), jsonl, rows);
  const ir = compile(syntheticSpec("mmoe", 16, { batch: 64, epochs: 1, lr: 0.001, seed: 1 }, 100), "mmoe.mtl");
  return { name: "mmoe", csv, jsonl, ir, columns: mmoeColumns().length, rows, pandasCsv: "" };
}

async function censusWorkload(): Promise<Workload> {
  const csv = join(dir, "mtl-bench-read-census.csv");
  const jsonl = join(dir, "mtl-bench-read-census.jsonl");
  if (!existsSync(csv)) writeFileSync(csv, gunzipSync(readFileSync("data/census-income-kdd/census-income.test.gz")));
  const ir = compile(readFileSync("specs/census-mmoe.mtl", "utf8"), "census-mmoe.mtl");
  const columns = ir.data.columns!;
  if (!existsSync(jsonl)) await csvToJsonl(csv, ir.data, jsonl, columns);
  return { name: "census", csv, jsonl, ir, columns: columns.length, rows: 99_762, pandasCsv: "header=None, skipinitialspace=True, na_values=['?']" };
}

async function categoricalWorkload(): Promise<Workload> {
  const rows = 100_000;
  const csv = join(dir, `mtl-bench-read-categorical-${rows}.csv`);
  const jsonl = join(dir, `mtl-bench-read-categorical-${rows}.jsonl`);
  const columns = [...Array.from({ length: 20 }, (_, i) => `c${i + 1}`), "n1", "n2", "click"];
  if (!existsSync(csv) || !existsSync(jsonl)) {
    const generate = function* (): Generator<Record<string, string | number>> {
      const rng = new Rng("bench-read-categorical");
      for (let r = 0; r < rows; r++) {
        const row: Record<string, string | number> = {};
        for (let i = 1; i <= 20; i++) row[`c${i}`] = `v${i}_${Math.floor(1000 * rng.next() ** 3)}`;
        row.n1 = Math.floor(100 * rng.next());
        row.n2 = Math.round(1e4 * rng.next()) / 100;
        row.click = rng.next() < 0.1 ? 1 : 0;
        yield row;
      }
    };
    await writeGenerated(generate(), columns, csv, rows);
    await writeGenerated(generate(), columns, jsonl, rows);
  }
  const ir = compile(
    [
      `model categorical_read "bench: 20 categories, 2 numbers"`,
      ...Array.from({ length: 20 }, (_, i) => `feature c${i + 1} : categorical(buckets: 1000, dim: 4)`),
      `feature n1 : numeric(transform: log1p, normalize: zscore)`,
      `feature n2 : numeric(normalize: zscore)`,
      `input x = concat(*)`,
      `expert bottom = mlp(x, [8])`,
      `tower t = mlp(bottom, [4])`,
      `task click : binary = t label click`,
    ].join("\n"),
    "categorical.mtl",
  );
  return { name: "categorical", csv, jsonl, ir, columns: columns.length, rows, pandasCsv: "" };
}

/** The tokeniser alone over the CSV file. */
async function scanner(w: Workload): Promise<number> {
  let fields = 0;
  const s = new CsvScanner(w.ir.data.delimiter, w.ir.data.trim, (record) => (fields += record.count));
  for await (const chunk of createReadStream(w.csv, { highWaterMark: 1 << 20 })) s.write(chunk as Buffer);
  s.end();
  return fields;
}

/** One pass of training's reader (read, parse, check, encode, store) with a fitted encoding; returns the fields read. */
async function fitted(w: Workload, format: "csv" | "jsonl") {
  const source = { file: format === "csv" ? w.csv : w.jsonl, read: { ...w.ir.data, format } };
  const encoding = await fitEncoding(w.ir, readLabelled(w.ir, source, new SkipBudget(0), undefined, true), source.file);
  const encoder = createEncoder(w.ir, encoding);
  return async (): Promise<number> => {
    const rows = await encodeRows(w.ir, encoder, encoding, source, {
      skipBadRows: 0,
      out: join(dir, "mtl-bench-read-out"),
      role: "bench",
      read: (budget) => readLabelled(w.ir, source, budget, undefined, true),
      // As training reads a CSV file: blocks of columns (the record path remains for JSONL and Parquet).
      readBlocks: format === "csv" ? (budget) => readLabelledBlocks(w.ir, source, budget) : undefined,
    });
    rows.dispose();
    if (rows.rows !== w.rows) throw new Error(`${source.file}: ${rows.rows} rows encoded, expected ${w.rows}`);
    return rows.rows * w.columns;
  };
}

const PYTHON = `
import sys, time, pandas
for line in sys.stdin:
    kind, path, kwargs = line.rstrip("\\n").split("\\t")
    t = time.perf_counter()
    frame = pandas.read_csv(path, **eval("dict(" + kwargs + ")")) if kind == "csv" else pandas.read_json(path, lines=True)
    print(frame.shape[0], frame.shape[1], time.perf_counter() - t, flush=True)
`;

function findPython(): string | null {
  for (const python of [process.env.MTL_PYTHON, "/usr/bin/python3", "python3"]) {
    if (python && spawnSync(python, ["-c", "import pandas"]).status === 0) return python;
  }
  return null;
}

/** A Python process that times pandas reads on request. */
function pandasWorker(python: string) {
  const child = spawn(python, ["-c", PYTHON], { stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return {
    async read(kind: "csv" | "jsonl", path: string, kwargs: string): Promise<{ fields: number; seconds: number }> {
      child.stdin.write(`${kind}\t${path}\t${kwargs}\n`);
      const next = await lines.next();
      if (next.done) throw new Error("the pandas worker stopped");
      const [rows, columns, seconds] = (next.value as string).split(" ").map(Number);
      return { fields: rows! * columns!, seconds: seconds! };
    },
    close: () => child.stdin.end(),
  };
}

const CSV_ONE = "mtl CSV, 1 thread";
const CSV_DEFAULT = "mtl CSV, 2 threads (MTL_SPLIT_CSV=on)";

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const python = findPython();
const pandas = python ? pandasWorker(python) : null;
if (!pandas) console.log("pandas: not found ($MTL_PYTHON, /usr/bin/python3, python3); mtl only");
console.log(`${rounds} rounds, interleaved; medians of fields per second (rows x the file's columns)\n`);
const workloads = [mmoeWorkload, censusWorkload, categoricalWorkload].filter((w) => !only || w.name.startsWith(only));
for (const make of workloads) {
  const w = await make();
  const runs: { name: string; run: () => Promise<{ fields: number; seconds: number }> }[] = [];
  const timed = (run: () => Promise<number>) => async () => {
    const started = performance.now();
    const fields = await run();
    return { fields, seconds: (performance.now() - started) / 1000 };
  };
  runs.push({ name: "mtl scanner (tokenising only)", run: timed(() => scanner(w)) });
  const csv = await fitted(w, "csv");
  // One thread (training's default), and two (MTL_SPLIT_CSV=on).
  runs.push({ name: CSV_ONE, run: timed(() => (setReadThreads(1), csv())) });
  runs.push({ name: CSV_DEFAULT, run: timed(() => (setReadThreads(2), csv())) });
  if (pandas) runs.push({ name: "pandas read_csv", run: () => pandas.read("csv", w.csv, w.pandasCsv) });
  runs.push({ name: "mtl JSONL (read + parse + encode)", run: timed(await fitted(w, "jsonl")) });
  if (pandas) runs.push({ name: "pandas read_json(lines=True)", run: () => pandas.read("jsonl", w.jsonl, "") });
  const rates = runs.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < runs.length; k++) {
      const { fields, seconds } = await runs[k]!.run();
      rates[k]!.push(fields / seconds / 1e6);
    }
  }
  const rate = new Map(runs.map((run, k) => [run.name, median(rates[k]!)]));
  console.log(`${w.name}: ${w.rows.toLocaleString("en")} rows x ${w.columns} columns`);
  for (const run of runs) console.log(`  ${run.name.padEnd(36)} ${rate.get(run.name)!.toFixed(2).padStart(6)} M fields/s`);
  if (pandas) {
    const ratio = (a: string, b: string) => (rate.get(a)! / rate.get(b)!).toFixed(2);
    const split = statSync(w.csv).size < SPLIT_MIN_BYTES ? " (the file is too small to split: 1 thread)" : "";
    console.log(`  ratio CSV   mtl/pandas ${ratio(CSV_ONE, "pandas read_csv")} (1 thread, the default), ${ratio(CSV_DEFAULT, "pandas read_csv")} (2 threads${split})`);
    console.log(`  ratio JSONL mtl/pandas ${ratio("mtl JSONL (read + parse + encode)", "pandas read_json(lines=True)")}`);
  }
  console.log();
}
pandas?.close();

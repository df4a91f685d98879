/**
 * A CSV file encoded a block of columns at a time (readLabelledBlocks) must
 * give exactly what the record path gives: every encoded value bit for bit,
 * the lines, the label values, and for a bad row the same error (message,
 * line, field, hint) or the same skipped rows.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { compileSource } from "../../src/compiler.js";
import { createEncoder, fitEncoding, type EncodingState } from "../../src/data/encode/index.js";
import { DataError, type ReadOptions } from "../../src/data/record.js";
import { generateMmoe, mmoeColumns } from "../../src/data/synthetic/mmoe.js";
import { writeGenerated } from "../../src/data/synthetic/write.js";
import { syntheticSpec } from "../../src/experiments/mmoe-synthetic/specs.js";
import type { ValidIR } from "../../src/ir/types.js";
import { SkipBudget } from "../../src/train/bad-rows.js";
import { encodeRows, readLabelledBlocks } from "../../src/train/encoded-rows.js";
import { readLabelled } from "../../src/train/trainer.js";
import { packageRoot } from "../../src/util/package-root.js";
import { Rng } from "../../src/util/random.js";
import { tempFolder } from "../data/readers/helpers.js";

const dir = tempFolder("rows-csv");
const out = tempFolder("rows-csv-out");

function compile(source: string): ValidIR {
  const result = compileSource(source, "test.mtl");
  if (!result.ir) throw new Error(result.diagnostics.map((d) => d.message).join("; "));
  return result.ir;
}

/** Every kind of column the encoder reads: hashed and vocabulary categories, numbers (one column also read as a category), a sequence, a binary label, a where and a sample weight. */
const SPEC = compile(
  [
    `model reader_test "columnar reading"`,
    `data { format: csv(header: true, missing: ["?", "", "NA"]) }`,
    `feature c1 : categorical(buckets: 1000, dim: 4)`,
    `feature c2 : categorical(vocab: ["a", "b", "é"], dim: 4)`,
    `feature c3 : categorical(buckets: 50, dim: 4)`,
    `feature n1 : numeric(transform: log1p, normalize: zscore)`,
    `feature n2 : numeric(normalize: zscore)`,
    `feature n3 : numeric(normalize: minmax, column: c3)`,
    `feature h : sequence(of: c1, max_len: 3, sep: "|")`,
    `input x = concat(*)`,
    `tower t1 = mlp(x, [4])`,
    `tower t2 = mlp(x, [4])`,
    `task click : binary = t1 label click`,
    `task gmv : regression = t2 label amount where click sample_weight w`,
  ].join("\n"),
);
const HEADER = "c1,c2,c3,n1,n2,h,click,amount,w";

/** Values of every shape: quoted (with the delimiter, doubled quotes, line breaks), multi-byte, blank-padded, missing markers, long and short numbers. */
function goodRow(rng: Rng, i: number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng.next() * xs.length)]!;
  const c1 = pick([`u${i % 97}`, `ü${i % 13}`, `日本${i % 5}`, `"a,${i % 7}"`, `"x""y${i % 3}"`, `"two\nlines${i % 4}"`, ` pad${i % 3} `, "?", "", "NA", "z", `"?"`]);
  const c2 = pick(["a", "b", "é", "zz", "", "?", `"a"`]);
  const c3 = pick(["3", "3.0", "17", "-2", "?", "", " 4 "]);
  const n1 = pick([`${i % 5000}`, `${(rng.next() * 100).toFixed(3)}`, "?", "NA", "", `"12"`, " 7 ", "1e2", `${i}.5`, "0.0000001"]);
  const n2 = pick([`${rng.next() * 2 - 1}`, `${(rng.next() - 0.5) * 1e-5}`, "-3", "+4.25", "9007199254740993", ".5", "5.", "?"]);
  const h = pick([`u1|u2|u${i % 9}|u4`, "", "?", `ü1|z`, `"a|b"`]);
  const click = i % 3 === 0 ? "1" : "0";
  const amount = click === "1" ? pick([`${(rng.next() * 50).toFixed(2)}`, "0", "12"]) : pick(["", "?", "3.5"]);
  const w = pick(["1", "0.5", "2", "0"]);
  return [c1, c2, c3, n1, n2, h, click, amount, w].join(",");
}

function goodRows(n: number, seed: string): string[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, i) => goodRow(rng, i));
}

function write(name: string, text: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function options(over: Partial<ReadOptions> = {}): ReadOptions {
  return { ...SPEC.data, format: "csv", ...over };
}

/** The encoding fitted on a clean file: both paths then encode a (possibly damaged) file with it. */
async function fit(ir: ValidIR, source: { file: string; read: ReadOptions }): Promise<EncodingState> {
  return fitEncoding(ir, readLabelled(ir, source, new SkipBudget(0), undefined, true), source.file);
}

interface Outcome {
  error: { message: string; line: number | null; field: string | undefined; hint: string | undefined } | null;
  rows?: number;
  skipped?: number;
  labelValues?: unknown;
  /** Every slot of every row, as bytes (float32 bit patterns included). */
  bytes?: Buffer[];
  lines?: number[];
}

async function outcome(ir: ValidIR, encoding: EncodingState, source: { file: string; read: ReadOptions }, blocks: boolean, skipBadRows = 0): Promise<Outcome> {
  try {
    const rows = await encodeRows(ir, createEncoder(ir, encoding), encoding, source, {
      skipBadRows,
      out,
      role: "train",
      read: (budget) => readLabelled(ir, source, budget, undefined, true),
      readBlocks: blocks ? (budget) => readLabelledBlocks(ir, source, budget) : undefined,
    });
    const all = rows.gather(null, 0, rows.rows);
    const arrays = [...Object.values(all.batch.features), ...Object.values(all.batch.labels), ...Object.values(all.batch.masks)];
    const result: Outcome = {
      error: null,
      rows: rows.rows,
      skipped: rows.skipped,
      labelValues: rows.labelValues,
      bytes: arrays.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength)),
      lines: [...all.lines],
    };
    rows.dispose();
    return result;
  } catch (error) {
    if (!(error instanceof DataError)) throw error;
    return { error: { message: error.message, line: error.line, field: error.field, hint: error.hint } };
  }
}

/** Both paths, with no bad rows allowed and with some: the outcomes must be identical. */
async function same(ir: ValidIR, encoding: EncodingState, source: { file: string; read: ReadOptions }, skips: number[] = [0, 3]): Promise<Outcome[]> {
  const results: Outcome[] = [];
  for (const skip of skips) {
    const records = await outcome(ir, encoding, source, false, skip);
    const blocks = await outcome(ir, encoding, source, true, skip);
    assert.deepEqual(blocks, records, `${source.file} with --skip-bad-rows ${skip}`);
    results.push(records);
  }
  return results;
}

const base = goodRows(5000, "base");
const clean = { file: write("clean.csv", [HEADER, ...base, ""].join("\n")), read: options() };
const encoding = await fit(SPEC, clean);

test("every value of every kind of column encodes bit for bit as the record path encodes it, across chunk boundaries", async () => {
  const [result] = await same(SPEC, encoding, clean, [0]);
  assert.equal(result!.rows, 5000);
  assert.ok(readFileSync(clean.file).length > 2 * 65536, "the file spans several chunks");
  // Other chunk boundaries (inside quoted fields, inside multi-byte characters): the rows shifted by a few bytes each time.
  for (const pad of [1, 2, 3, 5]) {
    const shifted = { file: write(`shifted-${pad}.csv`, [HEADER, ...base.map((r, i) => (i === 0 ? `${"x".repeat(pad)}${r}` : r)), ""].join("\n")), read: options() };
    const [shiftedOut] = await same(SPEC, encoding, shifted, [0]);
    assert.equal(shiftedOut!.rows, 5000);
  }
});

test("CRLF line ends, a byte order mark, gzip and a missing last line break read alike", async () => {
  const crlf = `\ufeff${[HEADER, ...base].join("\r\n")}`;
  for (const [name, content] of [
    ["crlf.csv", crlf],
    ["crlf.csv.gz", gzipSync(Buffer.from(crlf))],
  ] as const) {
    const [result] = await same(SPEC, encoding, { file: write(name, content), read: options() }, [0]);
    assert.equal(result!.rows, 5000, name);
  }
});

test("a bad row is reported, or skipped, exactly as the record path does it", async () => {
  const cases: [string, string][] = [
    ["too few fields", "u1,a,3,4"],
    ["too many fields", `${base[10]},extra`],
    ["an extra delimiter", `${base[10]},`],
    ["text in a number column", "u1,a,3,abc,0.5,,1,2,1"],
    ["a number out of float32", "u1,a,3,4,1e39,,1,2,1"],
    ["outside log1p", "u1,a,3,-5,0.5,,1,2,1"],
    ["a missing label", "u1,a,3,4,0.5,,,2,1"],
    ["a bad binary label", "u1,a,3,4,0.5,,7,2,1"],
    ["a missing label where the task applies", "u1,a,3,4,0.5,,1,,1"],
    ["a blank line", ""],
    ["a blank row of fields", ",,,,,,,,"],
    ["a quote inside an unquoted field", `u"1,a,3,4,0.5,,1,2,1`],
    ["text after a closing quote", `"u1"x,a,3,4,0.5,,1,2,1`],
  ];
  // Two chunks' worth of rows: a bad row in the first block and in a later one.
  const some = base.slice(0, 1500);
  for (const [what, bad] of cases) {
    for (const at of [0, 1400]) {
      const rows = [...some];
      rows.splice(at, 0, bad, bad);
      const file = write(`bad-${at}.csv`, [HEADER, ...rows, ""].join("\n"));
      const results = await same(SPEC, encoding, { file, read: options() });
      if (what !== "a blank line") assert.ok(results[0]!.error !== null, `${what} at row ${at} is an error`);
      else assert.equal(results[0]!.rows, 1500);
    }
  }
  const utf8 = Buffer.concat([Buffer.from(`${HEADER}\n${base.slice(0, 100).join("\n")}\n`), Buffer.from("u\xff1,a,3,4,0.5,,1,2,1\n", "latin1"), Buffer.from(`${base.slice(100).join("\n")}\n`)]);
  const [strict, skipping] = await same(SPEC, encoding, { file: write("utf8.csv", utf8), read: options() });
  assert.match(strict!.error!.message, /UTF-8/);
  assert.equal(skipping!.rows, 5000, JSON.stringify(skipping!.error));
  const unclosed = await same(SPEC, encoding, { file: write("unclosed.csv", `${HEADER}\n${base.join("\n")}\n"u1,a,3\n`), read: options() });
  assert.match(unclosed[0]!.error!.message, /never closed/);
  const absent = await same(SPEC, encoding, { file: write("absent.csv", `c1,c2,n1\nu,a,1\n`), read: options() });
  assert.match(absent[0]!.error!.message, /missing/);
});

test("trimmed fields, `?` missing values and blanks after every delimiter (the census file) encode alike", async () => {
  const ir = compile(readFileSync(join(packageRoot(), "specs", "census-mmoe.mtl"), "utf8"));
  const text = gunzipSync(readFileSync(join(packageRoot(), "data", "census-income-kdd", "census-income.test.gz"))).toString("latin1");
  let end = 0;
  for (let i = 0; i < 4000; i++) end = text.indexOf("\n", end) + 1;
  const source = { file: write("census.csv", Buffer.from(text.slice(0, end), "latin1")), read: ir.data };
  const [result] = await same(ir, await fit(ir, source), source, [0]);
  assert.equal(result!.rows, 4000);
});

test("100 full-precision numeric columns (the MMoE synthetic file) encode alike", async () => {
  const ir = compile(syntheticSpec("mmoe", 16, { batch: 64, epochs: 1, lr: 0.001, seed: 1 }, 100));
  const file = join(dir, "mmoe.csv");
  await writeGenerated(generateMmoe({ rows: 1500, correlation: 0.9, seed: 1 }), mmoeColumns(), file, 1500);
  const source = { file, read: { ...ir.data, format: "csv" as const } };
  const [result] = await same(ir, await fit(ir, source), source, [0]);
  assert.equal(result!.rows, 1500);
});

/**
 * Bad input data, in every format the readers take (CSV, TSV, JSONL,
 * Parquet, and .gz of the text formats), through the compiled CLI.
 *
 * Each case (a truncated file, a missing column, a wrong delimiter, a label
 * outside its values, bytes that are not UTF-8, a value that overflows
 * float32, an empty file) must end `mtl eval` with exit 1 and exactly one
 * "FILE[:LINE]: error: ..." line plus a hint on standard error: the line (for
 * Parquet: the row) where there is one, the field where there is one, never
 * a stack trace, nothing on standard output. A bad row is instead skipped,
 * reported and counted under --skip-bad-rows; `mtl train` leaves no model
 * folder behind and `mtl predict -o` no output or temp file.
 *
 * test/cli/data-errors.test.ts covers more CSV and JSONL row errors; this
 * file is the format-by-format matrix of issue #8.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { constants, gunzipSync } from "node:zlib";
import { tempDir, type CliResult } from "../helpers/cli.js";
import { cliFrom, repoRoot } from "../helpers/paths.js";
import { assertDataError, assertOk, headCsv, runCliAsync, type ExpectedDataError } from "../helpers/train-cli.js";
import { edited, fileBytes, FORMATS, lineOf, patchMarker, tableFromCsv, tableText, type Format, type Table } from "./data-files.js";

const cli = cliFrom(import.meta.url);
const spec = join(repoRoot(), "specs", "esmm.mtl");
const { dir } = tempDir("bad-data");
const mtl = (args: readonly string[]): Promise<CliResult> => runCliAsync(cli, args, { cwd: dir });

/** The data row each row-level case damages, and the row a truncated file is cut in. */
const BAD_ROW = 7;
const CUT_ROW = 40;
const MARKER = "BADUTF8BYTES";

let setup: CliResult[] = [];
let table: Table;

function assertSetup(): void {
  for (const [i, r] of setup.entries()) assertOk(r, `setup step ${i + 1}`);
}

/** A file name for a case in a format, e.g. "label.jsonl.gz". */
const nameOf = (what: string, format: Format) => `${what}.${format}`;

function write(name: string, bytes: Buffer | string): string {
  writeFileSync(join(dir, name), bytes);
  return name;
}

interface Case {
  file: string;
  expected: ExpectedDataError;
  /** A row-level problem, which --skip-bad-rows skips. */
  row?: boolean;
}

/** Text cut in the middle of data row CUT_ROW (no line break after it). */
function truncatedText(format: "csv" | "tsv" | "jsonl"): string {
  const text = tableText(format, { columns: table.columns, rows: table.rows.slice(0, CUT_ROW) });
  const lines = text.split("\n");
  const last = lines[lines.length - 2]!;
  return lines.slice(0, -2).join("\n") + "\n" + last.slice(0, Math.floor(last.length / 2));
}

/** The line a truncated .gz stops in: the lines its readable part holds, counted independently of src/. */
function gzipStopLine(cut: Buffer): number {
  const readable = gunzipSync(cut, { finishFlush: constants.Z_SYNC_FLUSH }).toString("utf8");
  return readable.split("\n").length;
}

const CASES: Record<string, (format: Format) => Case | null> = {
  truncated: (format) => {
    const file = nameOf("truncated", format);
    if (format === "parquet") {
      const bytes = fileBytes(format, table);
      write(file, bytes.subarray(0, Math.floor(bytes.length / 2)));
      return { file, expected: { file, line: null, message: /Parquet file is truncated/, hint: /write it again/ } };
    }
    if (format.endsWith(".gz")) {
      const bytes = fileBytes(format, table);
      const cut = bytes.subarray(0, Math.floor(bytes.length / 2));
      write(file, cut);
      const line = gzipStopLine(cut);
      return { file, expected: { file, line, message: new RegExp(`gzip data ends early, in line ${line}: the file is truncated`), hint: /fetch the file again/ } };
    }
    const text = format as "csv" | "tsv" | "jsonl";
    write(file, truncatedText(text));
    const message = text === "jsonl" ? /the file ends in the middle of this record/ : /the file ends in the middle of this row: expected 13 fields/;
    return { file, row: true, expected: { file, line: lineOf(format, CUT_ROW), message, hint: /truncated/ } };
  },
  "missing column": (format) => {
    const file = write(nameOf("no-price", format), fileBytes(format, edited(table, { drop: ["price"] })));
    const line = format.startsWith("csv") || format.startsWith("tsv") ? 1 : null;
    const message = format.startsWith("jsonl") ? /column 'price' appears in no record, but feature 'price' reads it/ : /column 'price' is missing, but feature 'price' reads it/;
    return { file, expected: { file, line, field: "price", message, hint: /add the column/ } };
  },
  "wrong delimiter": (format) => {
    if (!format.startsWith("csv") && !format.startsWith("tsv")) return null;
    // A tab-separated file named .csv, a comma-separated one named .tsv.
    const other = format.startsWith("csv") ? format.replace("csv", "tsv") : format.replace("tsv", "csv");
    const file = write(nameOf("delimiter", format), fileBytes(other as Format, table));
    const actual = other.startsWith("tsv") ? /a tab/ : /','/;
    return { file, expected: { file, line: 1, message: new RegExp(`separates its fields with ${actual.source}`), hint: /--delimiter/ } };
  },
  "label outside its values": (format) => {
    const file = write(nameOf("label", format), fileBytes(format, edited(table, { set: [{ row: BAD_ROW, column: "click", value: "yes" }] })));
    // JSONL records are checked against the spec's JSON Schema first, which names the allowed values.
    const message = format.startsWith("jsonl") ? /click/ : /label column 'click' must be 0\/1 or true\/false, got 'yes'/;
    return { file, row: true, expected: { file, line: lineOf(format, BAD_ROW), field: "click", message } };
  },
  "bytes that are not UTF-8": (format) => {
    const file = write(nameOf("utf8", format), fileBytes(format, edited(table, { set: [{ row: BAD_ROW, column: "user_id", value: MARKER }] }), patchMarker(MARKER)));
    return {
      file,
      row: true,
      expected: { file, line: lineOf(format, BAD_ROW), message: /not valid UTF-8/, hint: /UTF-8/, ...(format === "parquet" && { field: "user_id" }) },
    };
  },
  "a value that overflows float32": (format) => {
    const file = write(nameOf("overflow", format), fileBytes(format, edited(table, { set: [{ row: BAD_ROW, column: "price", value: 1e39 }] })));
    return { file, row: true, expected: { file, line: lineOf(format, BAD_ROW), field: "price", message: /does not fit in a 32-bit float/, hint: /rescale/ } };
  },
  "an empty file": (format) => {
    const file = write(nameOf("empty", format), format.endsWith(".gz") ? fileBytes(format, table, () => Buffer.alloc(0)) : Buffer.alloc(0));
    return { file, expected: { file, line: null, message: /empty/, hint: /at least one data row/ } };
  },
};

/** Tests overlap two CLI runs at a time (each spends most of a second loading TensorFlow.js). */
describe("bad data in every format", { concurrency: 2 }, () => {
  before(async () => {
    setup = [await mtl(["generate", "esmm", "--rows", "300", "-o", "train.csv", "--holdout", "60", "--holdout-output", "valid.csv", "--seed", "8"])];
    if (setup[0]!.status !== 0) return;
    setup.push(await mtl(["train", spec, "--data", "train.csv", "--out", "model", "--epochs", "1", "--max-steps", "2", "--quiet"]));
    table = tableFromCsv(readFileSync(join(dir, "valid.csv"), "utf8"));
  });

  for (const format of FORMATS) {
    test(`the undamaged table reads as ${format} (the baseline of the cases below)`, async () => {
      assertSetup();
      const r = await mtl(["eval", "model", "--data", write(nameOf("clean", format), fileBytes(format, table))]);
      assertOk(r, `eval on clean.${format}`);
      assert.match(r.stdout, /ctr\s+all rows\s+60\b/, `clean.${format}: all 60 rows scored`);
    });
  }

  for (const [what, make] of Object.entries(CASES)) {
    for (const format of FORMATS) {
      if (what === "wrong delimiter" && !/^(csv|tsv)/.test(format)) continue; // only delimited text has a delimiter
      test(`${what}, ${format}: mtl eval exits 1 naming the file${what === "an empty file" || what.includes("column") ? "" : " and line"}`, async () => {
        assertSetup();
        const c = make(format)!;
        assertDataError(await mtl(["eval", "model", "--data", c.file]), `${what} (${format})`, c.expected);
      });
    }
  }

  for (const [format, fraction] of [
    ["csv.gz", 0.3],
    ["jsonl.gz", 0.8],
  ] as const) {
    test(`a ${format} cut at ${fraction * 100}% names the line its readable text stops in`, async () => {
      assertSetup();
      const bytes = fileBytes(format, table);
      const cut = bytes.subarray(0, Math.floor(bytes.length * fraction));
      const file = write(`cut-${fraction}.${format}`, cut);
      assertDataError(await mtl(["eval", "model", "--data", file]), file, { file, line: gzipStopLine(cut), message: /gzip data ends early/ });
    });
  }

  test("a gzip-compressed Parquet file is named as such", async () => {
    assertSetup();
    const file = write("data.parquet.gz", fileBytes("csv.gz", table, () => fileBytes("parquet", table)));
    assertDataError(await mtl(["eval", "model", "--data", file]), "parquet.gz", { file, line: null, message: /gzip-compressed Parquet file/, hint: /decompress it first/ });
  });

  const SKIPPED: [string, Format][] = [
    ["truncated", "csv"],
    ["label outside its values", "csv"],
    ["bytes that are not UTF-8", "csv"],
    ["a value that overflows float32", "csv"],
    ["truncated", "jsonl"],
    ["bytes that are not UTF-8", "jsonl.gz"],
    ["bytes that are not UTF-8", "parquet"],
    ["a value that overflows float32", "parquet"],
  ];
  for (const [what, format] of SKIPPED) {
    test(`--skip-bad-rows 1: ${what} in ${format} is skipped, reported with its line, and counted`, async () => {
      assertSetup();
      const c = CASES[what]!(format)!;
      assert.ok(c.row, `${what} is a row-level case`);
      const r = await mtl(["eval", "model", "--data", c.file, "--skip-bad-rows", "1"]);
      assertOk(r, `${what} (${format}) with --skip-bad-rows 1`);
      const line = c.expected.line!;
      assert.match(r.stderr, new RegExp(`^${c.file.replace(/\./g, "\\.")}:${line}: warning: skipped bad row: `, "m"), `the skipped row is reported with its line:\n${r.stderr}`);
      assert.match(r.stderr, /^skipped 1 bad row; the metrics leave them out$/m, `the skip is counted:\n${r.stderr}`);
      const rows = what === "truncated" ? CUT_ROW - 1 : table.rows.length - 1;
      assert.match(r.stdout, new RegExp(`ctr\\s+all rows\\s+${rows}\\b`), `the other ${rows} rows are scored:\n${r.stdout}`);
    });
  }

  const TRAINED: [string, Format][] = [
    ["truncated", "csv"],
    ["missing column", "csv"],
    ["missing column", "jsonl"],
    ["label outside its values", "parquet"],
  ];
  for (const [what, format] of TRAINED) {
    test(`mtl train stops on ${what} (${format}) before training, leaving no model folder`, async () => {
      assertSetup();
      const c = CASES[what]!(format)!;
      const out = `out-${c.file}`;
      const r = await mtl(["train", spec, "--data", c.file, "--out", out, "--quiet", "--max-steps", "1"]);
      assertDataError(r, `train: ${what} (${format})`, c.expected);
      assert.ok(!existsSync(join(dir, out)), "no model folder should be left");
    });
  }

  // Labels are not read by predict, and a missing feature column is a warning there (see predict-missing.test.ts).
  const PREDICTED: [string, Format][] = [
    ["truncated", "jsonl.gz"],
    ["wrong delimiter", "csv"],
    ["bytes that are not UTF-8", "parquet"],
    ["a value that overflows float32", "tsv"],
    ["an empty file", "jsonl"],
  ];
  for (const [what, format] of PREDICTED) {
    test(`mtl predict -o stops on ${what} (${format}) without leaving an output or temp file`, async () => {
      assertSetup();
      const c = CASES[what]!(format)!;
      const out = join("predict-out", c.file);
      mkdirSync(join(dir, out), { recursive: true });
      const r = await mtl(["predict", "model", "--data", c.file, "-o", join(out, "scores.csv")]);
      assertDataError(r, `predict: ${what} (${format})`, c.expected);
      assert.deepEqual(readdirSync(join(dir, out)), [], "no output and no temp file");
    });
  }

  test("a CSV with ';' between its fields is refused at the header, not read as one column", async () => {
    assertSetup();
    const file = write("semicolons.csv", tableText("csv", table).replaceAll(",", ";"));
    assertDataError(await mtl(["predict", "model", "--data", file]), "predict on semicolons", {
      file,
      line: 1,
      message: /separates its fields with ';' but the delimiter is ','/,
      hint: /--delimiter ';'/,
    });
    const ok = await mtl(["eval", "model", "--data", file, "--delimiter", ";"]);
    assertOk(ok, "eval with --delimiter ';'");
  });

  test("text formats: non-UTF-8 bytes in the header stop the read at line 1 even with --skip-bad-rows", async () => {
    assertSetup();
    const text = headCsv(tableText("csv", table), 5).replace("user_id", MARKER);
    const file = write("bad-header.csv", patchMarker(MARKER)(Buffer.from(text)));
    assertDataError(await mtl(["eval", "model", "--data", file, "--skip-bad-rows", "5"]), "bad header", { file, line: 1, message: /UTF-8/ });
  });
});

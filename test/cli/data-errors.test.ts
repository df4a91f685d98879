/**
 * Bad data through the compiled CLI: every case must end with exit 1 and one
 * message naming the file, the line (and the field where there is one) plus
 * a hint, never a stack trace; and --skip-bad-rows must skip exactly what it
 * says, in `train` and in `predict`.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import { assertNoCrash, tempDir, type CliResult } from "../helpers/cli.js";
import { cliFrom, repoRoot } from "../helpers/paths.js";
import { assertDataError, assertOk, ESMM_TASKS, headCsv, parsePredictionCsv, withField, withoutColumns, runCliAsync } from "../helpers/train-cli.js";

const cli = cliFrom(import.meta.url);
const spec = join(repoRoot(), "specs", "esmm.mtl");
const { dir } = tempDir("data-errors");
const mtl = (args: readonly string[]): Promise<CliResult> => runCliAsync(cli, args, { cwd: dir });

/** 4,500 clean rows (more than one 4,096-row prediction batch) and 300 more as JSONL. */
const BASE_ROWS = 4500;
let base = "";
let baseJsonl: string[] = [];
let setup: CliResult[] = [];

/** Tests overlap two CLI runs at a time (each spends most of a second starting up). */
describe("bad data", { concurrency: 2 }, () => {
  before(async () => {
    setup = [await mtl(["generate", "esmm", "--rows", String(BASE_ROWS), "-o", "base.csv", "--holdout", "300", "--holdout-output", "base.jsonl", "--seed", "5"])];
    if (setup[0]!.status !== 0) return;
    base = readFileSync(join(dir, "base.csv"), "utf8");
    baseJsonl = readFileSync(join(dir, "base.jsonl"), "utf8").trimEnd().split("\n");
    writeFileSync(join(dir, "small.csv"), headCsv(base, 300));
    setup.push(await mtl(["train", spec, "--data", "small.csv", "--out", "model", "--epochs", "1", "--max-steps", "2", "--quiet"]));
  });

  function assertSetup(): void {
    for (const [i, r] of setup.entries()) assertOk(r, `setup step ${i + 1}`);
  }

  /** The first 100 rows of the clean data, as a starting point for a bad file. */
  const small = () => headCsv(base, 100);

  /** Writes `content` to `name` in the work folder and trains on it, quietly. */
  function trainOn(name: string, content: string | Buffer, extra: readonly string[] = []): Promise<CliResult> {
    writeFileSync(join(dir, name), content);
    return mtl(["train", spec, "--data", name, "--out", `out-${name}`, "--quiet", "--epochs", "1", "--max-steps", "2", ...extra]);
  }

  function assertNoModel(name: string): void {
    assert.ok(!existsSync(join(dir, `out-${name}`)), `training on ${name} failed, so no model folder should exist`);
  }

  test("a row with the wrong number of fields: the exact line, with a hint about the delimiter", async () => {
    assertSetup();
    const lines = small().split("\n");
    lines[5] += ",extra"; // line 6
    assertDataError(await trainOn("fields.csv", lines.join("\n")), "extra field", { file: "fields.csv", line: 6, message: /expected 13 fields, found 14/, hint: /delimiter/ });
    assertNoModel("fields.csv");
  });

  test("a wrong field count far into a file (read in chunks) names the exact line", async () => {
    assertSetup();
    const late = base.split("\n");
    late[4320] = late[4320]!.split(",").slice(0, 10).join(","); // line 4321, 10 fields
    assertDataError(await trainOn("fields-late.csv", late.join("\n")), "missing fields at line 4321", { file: "fields-late.csv", line: 4321, message: /expected 13 fields, found 10/ });
  });

  test("a wrong field count after a quoted field spanning lines names the physical line", async () => {
    assertSetup();
    const lines = small().split("\n");
    const header = lines[0]!.split(",");
    const fields = lines[3]!.split(",");
    fields[header.indexOf("true_amount")] = '"12\n\n34"'; // record of line 4 now spans lines 4-6
    lines[3] = fields.join(",");
    lines[9] += ",extra"; // the 10th record, on physical line 12
    assertDataError(await trainOn("multiline.csv", lines.join("\n")), "after a multi-line field", { file: "multiline.csv", line: 12, message: /expected 13 fields, found 14/ });
  });

  test("text in a numeric column names the line and the field", async () => {
    assertSetup();
    const { error } = assertDataError(await trainOn("price.csv", withField(small(), 8, "price", "abc")), "price abc", {
      file: "price.csv",
      line: 8,
      field: "price",
      message: /'abc' is not a number/,
      hint: /number/,
    });
    assert.ok(error.includes("price"), error);
    assertNoModel("price.csv");
  });

  test('a label outside 0/1 names the line and the field, and suggests `label click is "yes"`', async () => {
    assertSetup();
    assertDataError(await trainOn("label.csv", withField(small(), 10, "click", "yes")), "click yes", {
      file: "label.csv",
      line: 10,
      field: "click",
      message: /'yes'/,
      hint: /label click is "yes"/,
    });
  });

  test("a data file without a feature column the spec reads is refused, naming the file and the column", async () => {
    assertSetup();
    // specs/esmm.mtl reads `price`; a file without that column must not train on filled-in means.
    const result = await trainOn("no-price.csv", withoutColumns(small(), ["price"]));
    assertNoCrash(result, "no price column");
    assert.equal(result.status, 1, `expected exit 1, got ${result.status}; stderr:\n${result.stderr}`);
    assert.match(result.stderr, /^no-price\.csv(:\d+)?: error: .*price/m, `the message should name the file and the column:\n${result.stderr}`);
    assert.match(result.stderr, /hint: /);
    assertNoModel("no-price.csv");
  });

  test("a data file without a label column the spec reads is refused, naming the file and the column", async () => {
    assertSetup();
    assertDataError(await trainOn("no-click.csv", withoutColumns(small(), ["click"])), "no click column", { file: "no-click.csv", field: "click" });
    assertNoModel("no-click.csv");
  });

  test("an empty file: named, with a hint", async () => {
    assertSetup();
    assertDataError(await trainOn("empty.csv", ""), "empty file", { file: "empty.csv", message: /empty/ });
    assertNoModel("empty.csv");
  });

  test("a header-only file: named, with a hint", async () => {
    assertSetup();
    assertDataError(await trainOn("header-only.csv", base.split("\n")[0] + "\n"), "header only", { file: "header-only.csv", message: /no data rows/ });
    assertNoModel("header-only.csv");
  });

  test("a truncated .csv.gz is reported as truncated", async () => {
    assertSetup();
    const gz = gzipSync(base);
    assertDataError(await trainOn("cut.csv.gz", gz.subarray(0, Math.floor(gz.length / 2))), "truncated gzip", { file: "cut.csv.gz", message: /truncated/ });
    assertNoModel("cut.csv.gz");
  });

  test("a bad row inside a .csv.gz names its line and field", async () => {
    assertSetup();
    assertDataError(await trainOn("bad.csv.gz", gzipSync(withField(base, 3002, "price", "abc"))), "bad row in gzip", { file: "bad.csv.gz", line: 3002, field: "price" });
  });

  test("a JSONL record with a wrong type: the schema check names the record's line and the field", async () => {
    assertSetup();
    const records = baseJsonl.slice(0, 50);
    records[6] = records[6]!.replace(/"price":[^,]+/, '"price":"cheap"');
    assertDataError(await trainOn("types.jsonl", records.join("\n") + "\n"), "price cheap", { file: "types.jsonl", line: 7, field: "price", message: /number/ });
    assertNoModel("types.jsonl");
  });

  test("a JSONL number beyond the double range is reported with its text, not as 'null'", async () => {
    assertSetup();
    const records = baseJsonl.slice(0, 50);
    records[6] = records[6]!.replace(/"price":[^,]+/, '"price":1e400');
    const { error } = assertDataError(await trainOn("overflow.jsonl", records.join("\n") + "\n"), "price 1e400", { file: "overflow.jsonl", line: 7, field: "price", message: /'1e400' does not fit/ });
    assert.doesNotMatch(error, /null/);
  });

  test("a JSONL integer id beyond 2^53 keeps its digits: it scores like the same id in CSV, unlike its rounded neighbour", async () => {
    assertSetup();
    const row = (id: string) => `{"user_id":${id},"item_id":"i7","category":"c3","price":3.5}\n`;
    writeFileSync(join(dir, "id.csv"), "user_id,item_id,category,price\n9007199254740993,i7,c3,3.5\n");
    writeFileSync(join(dir, "id-odd.jsonl"), row("9007199254740993"));
    writeFileSync(join(dir, "id-even.jsonl"), row("9007199254740992"));
    const [csv, odd, even] = await Promise.all(["id.csv", "id-odd.jsonl", "id-even.jsonl"].map((f) => mtl(["predict", "model", "--data", f])));
    for (const [r, what] of [[csv, "csv"], [odd, "odd"], [even, "even"]] as const) assertOk(r!, `predict ${what}`);
    assert.equal(odd!.stdout, csv!.stdout, "the JSONL integer must score like the same digits in CSV");
    assert.notEqual(odd!.stdout, even!.stdout, "...993 and ...992 are different ids (different hash buckets)");
  });

  test("a JSONL label of the wrong kind names the record's line and the field", async () => {
    assertSetup();
    const labels = baseJsonl.slice(0, 50);
    labels[8] = labels[8]!.replace(/"click":\d/, '"click":"no"');
    assertDataError(await trainOn("labels.jsonl", labels.join("\n") + "\n"), "click no", { file: "labels.jsonl", line: 9, field: "click" });
  });

  test("a JSONL object in a categorical feature's field is a wrong type, not a category", async () => {
    assertSetup();
    // The schema says a categorical field is "a string or an integer"; an object is neither.
    const records = baseJsonl.slice(0, 50);
    records[4] = records[4]!.replace(/"user_id":"[^"]*"/, '"user_id":{"id":"u1"}');
    assertDataError(await trainOn("object.jsonl", records.join("\n") + "\n"), "object user_id", { file: "object.jsonl", line: 5, field: "user_id" });
    assertNoModel("object.jsonl");
  });

  test("bytes that are not UTF-8 name their line, with a hint on re-encoding", async () => {
    assertSetup();
    const text = small();
    const at = text.split("\n").slice(0, 50).join("\n").length + 1; // start of line 51
    const bytes = Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from([0x75, 0xff, 0xfe]), Buffer.from(text.slice(at + 1))]);
    assertDataError(await trainOn("latin1.csv", bytes), "bad UTF-8", { file: "latin1.csv", line: 51, message: /UTF-8/, hint: /UTF-8/ });
    assertNoModel("latin1.csv");
  });

  test("a bad row in the --valid file names the validation file and its line", async () => {
    assertSetup();
    writeFileSync(join(dir, "valid-bad.csv"), withField(small(), 20, "purchase", "2"));
    // One purchase, so no task of the training file has one class only (which would add a warning).
    writeFileSync(join(dir, "train-ok.csv"), withField(withField(small(), 5, "click", "1"), 5, "purchase", "1"));
    const result = await mtl(["train", spec, "--data", "train-ok.csv", "--valid", "valid-bad.csv", "--out", "out-valid", "--quiet", "--max-steps", "1"]);
    assertDataError(result, "bad validation row", { file: "valid-bad.csv", line: 20, field: "purchase" });
    assert.ok(!existsSync(join(dir, "out-valid")));
  });

  /** 300 rows with bad rows at the given lines: alternately a wrong field count (reader) and text in `price` (encoder). */
  function withBadRows(lines: readonly number[]): string {
    let text = headCsv(base, 300);
    lines.forEach((line, i) => {
      if (i % 2 === 1) {
        text = withField(text, line, "price", "abc");
      } else {
        const all = text.split("\n");
        all[line - 1] += ",extra";
        text = all.join("\n");
      }
    });
    return text;
  }

  test("--skip-bad-rows 2 with exactly 2 bad rows trains, over several passes, and reports the skips", async () => {
    assertSetup();
    // --batch 64 over 298 good rows: 5 steps an epoch, so --max-steps 8 reaches a second epoch (a second pass over the file).
    writeFileSync(join(dir, "two-bad.csv"), withBadRows([11, 21]));
    const loud = await mtl(["train", spec, "--data", "two-bad.csv", "--out", "out-two-bad-loud", "--skip-bad-rows", "2", "--epochs", "2", "--batch", "64", "--max-steps", "8"]);
    assertOk(loud, "train --skip-bad-rows 2");
    assert.match(loud.stderr, /skipped 2 bad rows/, `stderr should report the skipped rows:\n${loud.stderr}`);
    assert.match(loud.stderr, /read 298 training rows/, "the 298 good rows are read");
    assert.ok(existsSync(join(dir, "out-two-bad-loud", "manifest.json")), "the model should be saved");
    const encoding = JSON.parse(readFileSync(join(dir, "out-two-bad-loud", "encoding.json"), "utf8")) as { rows: number };
    assert.equal(encoding.rows, 298, "skipped rows must not enter the fitted statistics");
  });

  test("--skip-bad-rows 2 with 3 bad rows stops at the third, naming its line, with a hint about --skip-bad-rows", async () => {
    assertSetup();
    assertDataError(await trainOn("three-bad.csv", withBadRows([11, 21, 31]), ["--skip-bad-rows", "2"]), "third bad row", {
      file: "three-bad.csv",
      line: 31,
      hint: /--skip-bad-rows/,
    });
    assertNoModel("three-bad.csv");
  });

  test("when --skip-bad-rows skips every row, training fails instead of saving an untrained model", async () => {
    assertSetup();
    // Every data row has text in `price` (an encoder-level bad row).
    let text = headCsv(base, 5);
    for (let line = 2; line <= 6; line++) text = withField(text, line, "price", "abc");
    const result = await trainOn("all-bad.csv", text, ["--skip-bad-rows", "10"]);
    assertNoCrash(result, "all rows bad");
    assert.equal(result.status, 1, `expected exit 1 (no usable rows), got ${result.status}; stderr:\n${result.stderr}`);
    assert.match(result.stderr, /all-bad\.csv/);
    assertNoModel("all-bad.csv");
  });

  test("when every row was skipped, the skipped-row messages the error points to are there", async () => {
    assertSetup();
    // Every data row has a wrong field count (a reader-level bad row).
    const text = headCsv(base, 5)
      .split("\n")
      .map((l, i) => (i >= 1 && l !== "" ? l + ",extra" : l))
      .join("\n");
    const result = await trainOn("all-bad-fields.csv", text, ["--skip-bad-rows", "10"]);
    assertNoCrash(result, "all rows bad (fields)");
    assert.equal(result.status, 1, `expected exit 1, got ${result.status}`);
    assert.match(result.stderr, /^all-bad-fields\.csv(:\d+)?: error: /m);
    if (/skipped-row messages above/.test(result.stderr)) {
      // The hint points at messages for the skipped rows: they must be there, one per row.
      for (let line = 2; line <= 6; line++)
        assert.match(result.stderr, new RegExp(`all-bad-fields\\.csv:${line}\\b`), `the skipped row on line ${line} is not reported, yet the hint refers to it:\n${result.stderr}`);
    }
  });

  test("predict --skip-bad-rows keeps one output row per input row, in order, empty for the skipped rows", async () => {
    assertSetup();
    // Bad rows: the first data row and the last (field counts: skipped by the reader), and the first two
    // rows of the second 4,096-row batch (text in price: skipped by the encoder).
    const lines = base.split("\n");
    const last = BASE_ROWS + 1;
    lines[1] += ",extra";
    lines[last - 1] += ",extra";
    let text = lines.join("\n");
    text = withField(text, 4098, "price", "abc");
    text = withField(text, 4099, "price", "abc");
    writeFileSync(join(dir, "score-bad.csv"), text);

    const [clean, result] = await Promise.all([mtl(["predict", "model", "--data", "base.csv"]), mtl(["predict", "model", "--data", "score-bad.csv", "--skip-bad-rows", "4"])]);
    assertOk(clean, "predict clean");
    assertOk(result, "predict --skip-bad-rows 4");
    assert.match(result.stderr, /skipped 4 bad row/, result.stderr);

    const expected = parsePredictionCsv(clean.stdout);
    const got = parsePredictionCsv(result.stdout);
    assert.deepEqual(got.header, [...ESMM_TASKS]);
    assert.equal(got.rows.length, BASE_ROWS, "one output row per input row");
    const skipped = new Set([2, 4098, 4099, last]); // file lines; output row r belongs to file line r + 1
    got.rows.forEach((row, r) => {
      const line = r + 2;
      if (skipped.has(line)) assert.deepEqual(row, [null, null, null], `line ${line} was skipped: its output row should be empty`);
      else {
        // Not bit for bit: a native BLAS's rounding can depend on how many rows share a product, and
        // skipping rows changes that. Another row's scores would be off by far more than float32 rounding.
        const want = expected.rows[r]!;
        assert.equal(row.length, want.length);
        row.forEach((score, t) =>
          assert.ok(
            score !== null && want[t] !== null && Math.abs(score - want[t]!) <= 1e-6 * Math.max(1, Math.abs(want[t]!)),
            `line ${line}: the score ${score} differs from the clean file's ${want[t]} (rows out of order?)`,
          ),
        );
      }
    });
  });

  test("predict --skip-bad-rows N stops at the (N+1)th bad row in file order, and says how many were skipped before it", async () => {
    assertSetup();
    // Line 3: text in price (found by the encoder); line 5: a wrong field count (found by the reader).
    const lines = withField(headCsv(base, 10), 3, "price", "abc").split("\n");
    lines[4] += ",extra";
    writeFileSync(join(dir, "order.csv"), lines.join("\n"));
    const result = await mtl(["predict", "model", "--data", "order.csv", "--skip-bad-rows", "1"]);
    assertNoCrash(result, "predict --skip-bad-rows 1");
    assert.equal(result.status, 1, `two bad rows, one allowed: expected exit 1, got ${result.status}`);
    // The first bad row (line 3) is skipped; the second (line 5) is the one over the allowance.
    assert.match(result.stderr, /^order\.csv:5: error: expected 13 fields, found 14/m, `should stop at line 5, the second bad row:\n${result.stderr}`);
    assert.match(result.stderr, /--skip-bad-rows 1/);
  });
});

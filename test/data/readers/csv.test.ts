import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { CHUNK_BYTES } from "../../../src/data/readers/byte-source.js";
import { readRecords } from "../../../src/data/readers/index.js";
import { CENSUS_HEAD_FILE, CENSUS_TEST_FILE } from "../../../src/experiments/census/data-files.js";
import { csvOptions, fixture, lines, readAll, readError, tempFolder } from "./helpers.js";

const dir = tempFolder("csv");


/** The 42 census columns in file order (SOURCE.md beside the data). */
const CENSUS_COLUMNS = [
  "age", "class_of_worker", "industry_code", "occupation_code", "education", "wage_per_hour",
  "enroll_in_edu_inst_last_wk", "marital_stat", "major_industry_code", "major_occupation_code", "race",
  "hispanic_origin", "sex", "member_of_a_labor_union", "reason_for_unemployment", "full_or_part_time_employment_stat",
  "capital_gains", "capital_losses", "dividends_from_stocks", "tax_filer_stat", "region_of_previous_residence",
  "state_of_previous_residence", "detailed_household_and_family_stat", "detailed_household_summary_in_household",
  "instance_weight", "migration_code_change_in_msa", "migration_code_change_in_reg", "migration_code_move_within_reg",
  "live_in_this_house_1_year_ago", "migration_prev_res_in_sunbelt", "num_persons_worked_for_employer",
  "family_members_under_18", "country_of_birth_father", "country_of_birth_mother", "country_of_birth_self",
  "citizenship", "own_business_or_self_employed", "fill_inc_questionnaire_for_veterans_admin", "veterans_benefits",
  "weeks_worked_in_year", "year", "income_raw",
];

const censusOptions = csvOptions({ header: false, trim: true, missing: ["?", ""], columns: CENSUS_COLUMNS });

test("CSV with a header: names from the header, values stay strings, empty means missing", async () => {
  const file = fixture(dir, "header.csv", "user,price,click\nu1,3.5,1\nu2,,0\n");
  const { records, error } = await readAll(file, csvOptions());
  assert.equal(error, null);
  assert.deepEqual(records, [
    { line: 2, fields: { user: "u1", price: "3.5", click: "1" } },
    { line: 3, fields: { user: "u2", price: null, click: "0" } },
  ]);
});

test("headerless CSV takes its names from opts.columns and starts at line 1", async () => {
  const file = fixture(dir, "headerless.csv", "u1,3.5\nu2,4\n");
  const { records } = await readAll(file, csvOptions({ header: false, columns: ["user", "price"] }));
  assert.deepEqual(records, [
    { line: 1, fields: { user: "u1", price: "3.5" } },
    { line: 2, fields: { user: "u2", price: "4" } },
  ]);
});

test("trim strips padding and '?' is missing, compared after trimming even without trim", async () => {
  const file = fixture(dir, "padded.csv", "a,b,c\n 1, ? , x \n2,?,NA\n");
  const trimmed = await readAll(file, csvOptions({ trim: true, missing: ["?", "NA"] }));
  assert.deepEqual(trimmed.records.map((r) => r.fields), [
    { a: "1", b: null, c: "x" },
    { a: "2", b: null, c: null },
  ]);
  const untrimmed = await readAll(file, csvOptions({ trim: false, missing: ["?"] }));
  assert.deepEqual(untrimmed.records.map((r) => r.fields), [
    { a: " 1", b: null, c: " x " },
    { a: "2", b: null, c: "NA" },
  ]);
});

test("quoted fields: delimiters, doubled quotes, and multi-line values with correct line numbers", async () => {
  const text = 'id,text\n1,"a, b"\n2,"say ""hi"""\n3,"line one\nline two\nline three"\n4,after\n';
  const file = fixture(dir, "quoted.csv", text);
  const { records, error } = await readAll(file, csvOptions());
  assert.equal(error, null);
  assert.deepEqual(lines(records), [2, 3, 4, 7]);
  assert.equal(records[1]!.fields["text"], 'say "hi"');
  assert.equal(records[2]!.fields["text"], "line one\nline two\nline three");
});

test("CRLF line endings, CRLF inside quotes, a BOM, blank lines and a last line without newline", async () => {
  const text = '\ufeffid,text\r\n1,"x\r\ny"\r\n\r\n2,plain\r\n   \r\n3,"p\r\nq\r\nr"\r\n4,end';
  const file = fixture(dir, "crlf.csv", text);
  const { records, error } = await readAll(file, csvOptions());
  assert.equal(error, null);
  assert.deepEqual(lines(records), [2, 5, 7, 10]);
  assert.deepEqual(records.map((r) => r.fields["id"]), ["1", "2", "3", "4"]);
  assert.equal(records[0]!.fields["text"], "x\r\ny");
  assert.equal(records[3]!.fields["text"], "end");
});

test("mixed LF and CRLF endings in one file", async () => {
  const file = fixture(dir, "mixed.csv", "a,b\r\n1,2\n3,4\r\n5,6");
  const { records } = await readAll(file, csvOptions());
  assert.deepEqual(records.map((r) => [r.line, r.fields["a"], r.fields["b"]]), [
    [2, "1", "2"],
    [3, "3", "4"],
    [4, "5", "6"],
  ]);
});

test("a tab delimiter", async () => {
  const file = fixture(dir, "data.tsv", "a\tb\nx y\t1,5\n");
  const { records } = await readAll(file, csvOptions({ delimiter: "\t" }));
  assert.deepEqual(records[0]!.fields, { a: "x y", b: "1,5" });
});

test("header with opts.columns: the header line is skipped and the spec's names are used", async () => {
  const file = fixture(dir, "renamed.csv", "A,B\n1,2\n");
  const { records } = await readAll(file, csvOptions({ columns: ["x", "y"] }));
  assert.deepEqual(records, [{ line: 2, fields: { x: "1", y: "2" } }]);
  const err = await readError(file, csvOptions({ columns: ["x", "y", "z"] }));
  assert.equal(err.line, 1);
  assert.match(err.message, /header has 2 columns but the spec lists 3/);
});

test("a column named __proto__ is an ordinary field", async () => {
  const file = fixture(dir, "proto.csv", "__proto__,b\n1,2\n");
  const { records } = await readAll(file, csvOptions());
  const fields = records[0]!.fields;
  assert.equal(Object.getPrototypeOf(fields), Object.prototype);
  assert.deepEqual(Object.keys(fields), ["__proto__", "b"]);
  assert.equal(fields["__proto__"], "1");
});

test("census data: 42 fields, no header, padded with a leading space", async () => {
  const records = [];
  for await (const r of readRecords(CENSUS_HEAD_FILE, censusOptions)) {
    records.push(r);
    if (records.length === 5) break;
  }
  assert.deepEqual(lines(records), [1, 2, 3, 4, 5]);
  const first = records[0]!.fields;
  assert.equal(Object.keys(first).length, 42);
  assert.equal(first["age"], "73");
  assert.equal(first["class_of_worker"], "Not in universe");
  assert.equal(first["marital_stat"], "Widowed");
  assert.equal(first["income_raw"], "- 50000.");
  assert.equal(records[2]!.fields["citizenship"], "Foreign born- Not a citizen of U S", "the trailing blank is trimmed too");
  for (const r of records) for (const v of Object.values(r.fields)) assert.ok(v === null || !/^\s|\s$/.test(String(v)));
});

test("census data: the whole head file reads (no final newline), '?' becomes null in the test file", async () => {
  let count = 0;
  let last = 0;
  for await (const r of readRecords(CENSUS_HEAD_FILE, censusOptions)) {
    count++;
    last = r.line;
  }
  assert.equal(count, 1891);
  assert.equal(last, 1891);
  for await (const r of readRecords(CENSUS_TEST_FILE, censusOptions)) {
    assert.equal(r.line, 1);
    assert.equal(r.fields["age"], "38");
    assert.equal(r.fields["migration_code_change_in_msa"], null);
    assert.equal(r.fields["migration_prev_res_in_sunbelt"], null);
    assert.equal(r.fields["income_raw"], "- 50000.");
    break;
  }
});

test("wrong field count names the line and suggests the delimiter", async () => {
  const file = fixture(dir, "count.csv", "a,b,c\n1,2,3\n4,5\n6,7,8\n");
  const { records, error } = await readAll(file, csvOptions());
  assert.deepEqual(lines(records), [2]);
  assert.ok(error);
  assert.equal(error.line, 3);
  assert.equal(error.message, "expected 3 fields, found 2 — check the delimiter");
  assert.equal(error.file, file);
  assert.match(error.render(), /count\.csv:3: error: expected 3 fields, found 2/);
});

test("wrong field count hints: another delimiter on the line, or a trailing delimiter", async () => {
  const semi = fixture(dir, "semi.csv", "a,b\n1;2\n");
  const e1 = await readError(semi, csvOptions());
  assert.equal(e1.line, 2);
  assert.match(e1.hint ?? "", /';'.*set the delimiter to ';'/);
  const trailing = fixture(dir, "trailing.csv", "a,b\n1,2,\n");
  const e2 = await readError(trailing, csvOptions());
  assert.equal(e2.line, 2);
  assert.match(e2.hint ?? "", /extra delimiter/);
});

test("a wrong field count after a multi-line field is reported at the record's first line", async () => {
  const file = fixture(dir, "count-multiline.csv", 'a,b\n1,"x\ny"\n2,"p\nq",extra\n');
  const err = await readError(file, csvOptions());
  assert.equal(err.line, 4);
});

test("header problems: duplicate names and empty names stop the read at line 1", async () => {
  const dup = await readError(fixture(dir, "dup.csv", "a,b,a\n1,2,3\n"), csvOptions());
  assert.equal(dup.line, 1);
  assert.match(dup.message, /column name 'a' appears twice in the header \(columns 1 and 3\)/);
  assert.equal(dup.field, "a");
  const empty = await readError(fixture(dir, "emptyname.csv", "a,,c\n1,2,3\n"), csvOptions());
  assert.equal(empty.line, 1);
  assert.match(empty.message, /column 2 of the header has no name/);
  const spec = await readError(fixture(dir, "specdup.csv", "1,2\n"), csvOptions({ header: false, columns: ["x", "x"] }));
  assert.equal(spec.line, null);
  assert.match(spec.message, /appears twice in the spec's column list/);
});

test("header problems are never skipped, whatever skipBadRows says", async () => {
  const err = await readError(fixture(dir, "dup2.csv", "a,a\n1,2\n"), csvOptions(), { skipBadRows: 100 });
  assert.equal(err.line, 1);
});

test("an empty file and a header-only file are errors: no data rows", async () => {
  const empty = await readError(fixture(dir, "empty.csv", ""), csvOptions());
  assert.equal(empty.line, null);
  assert.match(empty.message, /empty: no data rows/);
  const blank = await readError(fixture(dir, "blank.csv", "\n\n\r\n"), csvOptions());
  assert.match(blank.message, /empty: no data rows/);
  const headerOnly = await readError(fixture(dir, "headeronly.csv", "a,b,c\n"), csvOptions());
  assert.equal(headerOnly.line, 1);
  assert.match(headerOnly.message, /header but no data rows/);
  const headerless = await readError(fixture(dir, "empty2.csv", ""), csvOptions({ header: false, columns: ["a"] }));
  assert.match(headerless.message, /no data rows/);
});

test("a headerless file without column names is refused before reading", async () => {
  const err = await readError(fixture(dir, "nocols.csv", "1,2\n"), csvOptions({ header: false, columns: null }));
  assert.equal(err.line, null);
  assert.match(err.message, /no header and no column names/);
  // It is mostly `--no-header` on a file that has one: the hint names both ways out, not only the spec's settings.
  assert.match(err.hint ?? "", /--columns/);
  assert.match(err.hint ?? "", /leave out --no-header/);
});

test("invalid UTF-8 names the line; in a data row it is a bad row, in the header it is fatal", async () => {
  const body = Buffer.concat([Buffer.from("a,b\n1,ok\n2,caf"), Buffer.from([0xe9]), Buffer.from("\n3,fine\n")]);
  const file = fixture(dir, "latin1.csv", body);
  const err = await readError(file, csvOptions());
  assert.equal(err.line, 3);
  assert.match(err.message, /not valid UTF-8/);
  const skipped = await readAll(file, csvOptions(), { skipBadRows: 1 });
  assert.equal(skipped.error, null);
  assert.deepEqual(lines(skipped.records), [2, 4]);
  assert.deepEqual(lines(skipped.skipped), [3]);

  const header = fixture(dir, "badheader.csv", Buffer.concat([Buffer.from("a,"), Buffer.from([0xff, 0xfe]), Buffer.from("\n1,2\n")]));
  const fatal = await readError(header, csvOptions(), { skipBadRows: 10 });
  assert.equal(fatal.line, 1);
  assert.match(fatal.message, /not valid UTF-8/);
});

test("a multi-byte character split across read chunks is not mistaken for invalid UTF-8", async () => {
  // Put "é" (2 bytes) exactly across the first chunk boundary, and a multi-line field after it.
  const prefix = "a,b\n1,";
  const pad = "x".repeat(CHUNK_BYTES - prefix.length - 1);
  const text = `${prefix}${pad}é\n2,"mul\ntiline ü"\n3,z\n`;
  const file = fixture(dir, "boundary.csv", text);
  const { records, error } = await readAll(file, csvOptions());
  assert.equal(error, null);
  assert.deepEqual(lines(records), [2, 3, 5]);
  assert.ok(String(records[0]!.fields["b"]).endsWith("é"));
});

test("quote errors name the line and say how to quote", async () => {
  const inner = await readError(fixture(dir, "q1.csv", 'a,b\n1,2\n3,5" screen\n'), csvOptions());
  assert.equal(inner.line, 3);
  assert.match(inner.message, /field 2 has a quote character inside an unquoted value/);
  assert.equal(inner.field, "b");
  const after = await readError(fixture(dir, "q2.csv", 'a,b\n1,"x"y\n'), csvOptions());
  assert.equal(after.line, 2);
  assert.match(after.message, /continues after its closing quote/);
  const afterTrim = await readError(fixture(dir, "q3.csv", 'a,b\n1,2\n1,"x" y\n'), csvOptions({ trim: true }));
  assert.equal(afterTrim.line, 3);
  const unclosed = await readError(fixture(dir, "q4.csv", 'a,b\n1,2\n3,"never closed\n4,5\n'), csvOptions());
  assert.equal(unclosed.line, 3);
  assert.match(unclosed.message, /never closed/);
});

test("a missing file, a folder, a file inside a file", async () => {
  const missing = await readError(join(dir, "nope.csv"), csvOptions());
  assert.equal(missing.line, null);
  assert.equal(missing.message, "file not found");
  const sub = join(dir, "folder.csv");
  mkdirSync(sub);
  const folder = await readError(sub, csvOptions());
  assert.match(folder.message, /folder, not a data file/);
  const notDir = await readError(join(fixture(dir, "plain.txt", "x"), "inner.csv"), csvOptions());
  assert.match(notDir.message, /not found/);
});

test("unreadable permissions give 'permission denied'", async () => {
  const locked = tempFolder("perm");
  chmodSync(locked, 0o755);
  const file = fixture(locked, "secret.csv", "a\n1\n");
  chmodSync(file, 0o000);
  const isRoot = process.getuid?.() === 0;
  if (!isRoot) {
    const err = await readError(file, csvOptions());
    assert.match(err.message, /permission denied/);
    assert.equal(err.line, null);
    return;
  }
  // root reads anything, so the read runs as the unprivileged "nobody" user in a child process.
  const reader = new URL("../../../src/data/readers/index.js", import.meta.url).href;
  const script = `
    import { readRecords } from ${JSON.stringify(reader)};
    try { for await (const r of readRecords(${JSON.stringify(file)}, ${JSON.stringify(csvOptions())})) {} console.log("no error"); }
    catch (e) { console.log(JSON.stringify({ name: e.name, line: e.line, message: e.message })); }`;
  const out = spawnSync(process.execPath, ["--input-type=module", "-e", script], { uid: 65534, gid: 65534, encoding: "utf8", timeout: 20_000 });
  assert.equal(out.status, 0, out.stderr);
  const result = JSON.parse(out.stdout.trim()) as { name: string; line: number | null; message: string };
  assert.deepEqual(result, { name: "DataError", line: null, message: "permission denied: this file cannot be read" });
});

test("a UTF-16 file is named as such", async () => {
  const err = await readError(fixture(dir, "utf16.csv", Buffer.from("\ufeffa,b\n1,2\n", "utf16le")), csvOptions());
  assert.equal(err.line, 1);
  assert.match(err.message, /UTF-16/);
});

test("a Parquet file read as CSV is named as such", async () => {
  const err = await readError(fixture(dir, "really.parquet.csv", Buffer.from("PAR1\0\0\0\0PAR1")), csvOptions());
  assert.match(err.message, /this is a Parquet file/);
});

test("skipBadRows: up to N bad rows are skipped and reported in order; the N+1th stops the read", async () => {
  const file = fixture(dir, "bad-rows.csv", "a,b\n1,2\n3\n4,5\n6,7,8\n9,10\n11\n12,13\n");
  const two = await readAll(file, csvOptions(), { skipBadRows: 2 });
  assert.deepEqual(lines(two.records), [2, 4, 6]);
  assert.deepEqual(lines(two.skipped), [3, 5]);
  assert.ok(two.error);
  assert.equal(two.error.line, 7);
  assert.match(two.error.hint ?? "", /2 bad rows were already skipped/);

  const three = await readAll(file, csvOptions(), { skipBadRows: 3 });
  assert.equal(three.error, null);
  assert.deepEqual(lines(three.records), [2, 4, 6, 8]);
  assert.deepEqual(lines(three.skipped), [3, 5, 7]);

  const none = await readAll(file, csvOptions());
  assert.equal(none.error?.line, 3);
  assert.deepEqual(none.skipped, []);
});

test("a file whose rows are all bad and skipped still fails: no data rows", async () => {
  const file = fixture(dir, "all-bad.csv", "a,b\n1\n2\n");
  const { error, skipped } = await readAll(file, csvOptions(), { skipBadRows: 5 });
  assert.equal(skipped.length, 2);
  assert.match(error?.message ?? "", /all 2 rows were bad and skipped/);
});

test("the result can be iterated again (one pass per epoch)", async () => {
  const file = fixture(dir, "epochs.csv", "a\n1\n2\n");
  const records = readRecords(file, csvOptions());
  for (let epoch = 0; epoch < 2; epoch++) {
    const seen = [];
    for await (const r of records) seen.push(r.fields["a"]);
    assert.deepEqual(seen, ["1", "2"]);
  }
});

test("stopping early releases the file (no hang, no leak)", async () => {
  const rows = Array.from({ length: 50_000 }, (_, i) => `${i},${i * 2}`).join("\n");
  const file = fixture(dir, "early.csv", `a,b\n${rows}\n`);
  for (let k = 0; k < 20; k++) {
    for await (const r of readRecords(file, csvOptions())) {
      if (r.line > 3) break;
    }
  }
});

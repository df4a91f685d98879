import { test } from "node:test";
import assert from "node:assert/strict";
import { csvOptions, fixture, jsonlOptions, lines, readAll, readError, tempFolder } from "./helpers.js";

const dir = tempFolder("jsonl");

test("JSONL keeps JSON types; missing strings become null; blank lines are skipped but counted", async () => {
  const text = [
    '{"user":"u1","price":3.5,"click":1,"vip":true,"note":null}',
    "",
    '  {"user":"u2","price":"NA","click":0,"vip":false}  ',
    "\t",
    '{"user":"?","price":-2e-3,"click":"1"}',
  ].join("\n");
  const file = fixture(dir, "types.jsonl", text);
  const { records, error } = await readAll(file, jsonlOptions({ missing: ["NA", "?"] }));
  assert.equal(error, null);
  assert.deepEqual(records, [
    { line: 1, fields: { user: "u1", price: 3.5, click: 1, vip: true, note: null } },
    { line: 3, fields: { user: "u2", price: null, click: 0, vip: false } },
    { line: 5, fields: { user: null, price: -0.002, click: "1" } },
  ]);
});

test("arrays pass through for sequence features; nested objects become JSON text", async () => {
  const file = fixture(dir, "nested.jsonl", '{"hist":["a","?",3,null],"meta":{"k":[1,2]},"mixed":[{"x":1}]}\n');
  const { records } = await readAll(file, jsonlOptions({ missing: ["?"] }));
  assert.deepEqual(records[0]!.fields, { hist: ["a", null, 3, null], meta: '{"k":[1,2]}', mixed: ['{"x":1}'] });
});

test("CRLF endings, a BOM and a final line without newline", async () => {
  const file = fixture(dir, "crlf.jsonl", '\ufeff{"a":1}\r\n\r\n{"a":2}\r\n{"a":3}');
  const { records } = await readAll(file, jsonlOptions());
  assert.deepEqual(records.map((r) => [r.line, r.fields["a"]]), [
    [1, 1],
    [3, 2],
    [4, 3],
  ]);
});

test("a key named __proto__ stays a field", async () => {
  const file = fixture(dir, "proto.jsonl", '{"__proto__":"x","b":1}\n');
  const { records } = await readAll(file, jsonlOptions());
  assert.equal(Object.getPrototypeOf(records[0]!.fields), Object.prototype);
  assert.equal(records[0]!.fields["__proto__"], "x");
});

test("invalid JSON names the line and the column of the syntax error", async () => {
  const cases: Array<[string, number, RegExp]> = [
    ['{"a":1,"b":}', 12, /expected a value, found '}'/],
    ['{"a":1', 7, /ends before the object is closed/],
    ['{"a" 1}', 6, /expected ':'/],
    ["{'a':1}", 2, /double quotes/],
    ['{"a":1,}', 8, /trailing comma/],
    ['{"a":01}', 6, /leading zeros/],
    ['{"a":NaN}', 6, /NaN and Infinity/],
    ['{"a":1}}', 8, /after the end of the JSON value/],
    ['{"é":"ü", "b":tru}', 15, /expected a value/],
    ['{"a":"x\ty"}', 8, /control character/],
  ];
  for (const [text, column, reason] of cases) {
    const file = fixture(dir, "syntax.jsonl", `{"ok":1}\n${text}\n{"ok":2}\n`);
    const err = await readError(file, jsonlOptions());
    assert.equal(err.line, 2, text);
    assert.match(err.message, new RegExp(`^invalid JSON at column ${column}: `), `${text}: ${err.message}`);
    assert.match(err.message, reason, text);
    assert.match(err.hint ?? "", /one JSON object/);
  }
});

test("a line that is valid JSON but not an object is a bad row", async () => {
  for (const [text, kind] of [
    ["[1,2]", "an array"],
    ["42", "a number"],
    ['"text"', "a string"],
    ["null", "null"],
  ] as const) {
    const file = fixture(dir, "notobject.jsonl", `{"a":1}\n\n${text}\n`);
    const err = await readError(file, jsonlOptions());
    assert.equal(err.line, 3);
    assert.equal(err.message, `the line holds ${kind}, not a JSON object`);
  }
});

test("invalid UTF-8 names the line and column and is a skippable bad row", async () => {
  const body = Buffer.concat([Buffer.from('{"a":"ok"}\n{"a":"caf'), Buffer.from([0xe9]), Buffer.from('"}\n{"a":"fine"}\n')]);
  const file = fixture(dir, "latin1.jsonl", body);
  const err = await readError(file, jsonlOptions());
  assert.equal(err.line, 2);
  assert.match(err.message, /not valid UTF-8 at column 10/);
  const { records, skipped, error } = await readAll(file, jsonlOptions(), { skipBadRows: 1 });
  assert.equal(error, null);
  assert.deepEqual(lines(records), [1, 3]);
  assert.deepEqual(lines(skipped), [2]);
});

test("skipBadRows counts invalid lines; the N+1th stops with its own error", async () => {
  const file = fixture(dir, "bad.jsonl", '{"a":1}\n{oops}\n{"a":2}\n[]\n{"a":3}\n{"a":\n{"a":4}\n');
  const two = await readAll(file, jsonlOptions(), { skipBadRows: 2 });
  assert.deepEqual(lines(two.records), [1, 3, 5]);
  assert.deepEqual(lines(two.skipped), [2, 4]);
  assert.equal(two.error?.line, 6);
  const three = await readAll(file, jsonlOptions(), { skipBadRows: 3 });
  assert.equal(three.error, null);
  assert.deepEqual(lines(three.records), [1, 3, 5, 7]);
});

test("an empty file, or one of blank lines only, has no data rows", async () => {
  for (const text of ["", "\n\n  \n"]) {
    const err = await readError(fixture(dir, "empty.jsonl", text), jsonlOptions());
    assert.equal(err.line, null);
    assert.match(err.message, /no data rows/);
  }
});

test("a missing JSONL file", async () => {
  const err = await readError(`${dir}/absent.jsonl`, jsonlOptions());
  assert.equal(err.message, "file not found");
});

test("deeply nested JSON is reported, not a crash", async () => {
  const deep = `{"a":${"[".repeat(100_000)}}`;
  const err = await readError(fixture(dir, "deep.jsonl", `${deep}\n`), jsonlOptions());
  assert.equal(err.line, 1);
  assert.match(err.message, /invalid JSON at column/);
});

test("a number a double cannot hold as written keeps its text, so an id reads like the same digits in CSV", async () => {
  const line =
    '{"user_id": 9007199254740993, "small": 9007199254740991, "hist": [1, 9007199254740993, "x", null, -1e400], "big": 1e400, ' +
    '"float": 1.5, "w\\u0041": 12345678901234567890, "s": "a\\"]}", "n": {"x": [1, {"y": 2}]}, "last": -9007199254740993}';
  const file = fixture(dir, "digits.jsonl", `${line}\n`);
  const { records, error } = await readAll(file, jsonlOptions());
  assert.equal(error, null);
  assert.deepEqual(records[0]!.fields, {
    user_id: "9007199254740993",
    small: 9007199254740991,
    hist: [1, "9007199254740993", "x", null, "-1e400"],
    big: "1e400",
    float: 1.5,
    wA: "12345678901234567890",
    s: 'a"]}',
    n: '{"x":[1,{"y":2}]}',
    last: "-9007199254740993",
  });
  // The same id as CSV text: one value, hence one hash bucket, in both formats.
  const csv = await readAll(fixture(dir, "digits.csv", "user_id\n9007199254740993\n"), csvOptions());
  assert.equal(csv.records[0]!.fields["user_id"], records[0]!.fields["user_id"]);
});

test("of duplicated keys the last one's digits are kept, as JSON.parse keeps its value", async () => {
  const file = fixture(dir, "dup.jsonl", '{"id": 9007199254740993, "id": 9007199254740995}\n{"id": 9007199254740993, "id": 7}\n');
  const { records } = await readAll(file, jsonlOptions());
  assert.deepEqual(records.map((r) => r.fields["id"]), ["9007199254740995", 7]);
});

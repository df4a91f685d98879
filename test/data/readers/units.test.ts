import { test } from "node:test";
import assert from "node:assert/strict";
import { guessFormat } from "../../../src/data/readers/index.js";
import { columnOf, findJsonSyntaxError } from "../../../src/data/readers/json-syntax.js";
import { LineIndex } from "../../../src/data/readers/line-index.js";
import { completeUtf8Length, firstInvalidUtf8, Utf8Guard } from "../../../src/data/readers/utf8.js";

test("guessFormat from the extension", () => {
  assert.deepEqual(guessFormat("a/b/train.csv"), { format: "csv", delimiter: ",", gzip: false });
  assert.deepEqual(guessFormat("x.TSV"), { format: "csv", delimiter: "\t", gzip: false });
  assert.deepEqual(guessFormat("x.csv.gz"), { format: "csv", delimiter: ",", gzip: true });
  assert.deepEqual(guessFormat("x.jsonl"), { format: "jsonl", delimiter: null, gzip: false });
  assert.deepEqual(guessFormat("x.ndjson"), { format: "jsonl", delimiter: null, gzip: false });
  assert.deepEqual(guessFormat("x.jsonl.gz"), { format: "jsonl", delimiter: null, gzip: true });
  assert.deepEqual(guessFormat("x.parquet"), { format: "parquet", delimiter: null, gzip: false });
  assert.equal(guessFormat("x.parquet.gz"), null);
  assert.equal(guessFormat("x.gz"), null);
  assert.equal(guessFormat("census-income.data"), null);
  assert.equal(guessFormat("README"), null);
  assert.equal(guessFormat("x.constructor"), null);
});

test("the JSON syntax locator agrees with JSON.parse on what is valid", () => {
  const valid = ['{"a":[1,2,{"b":null}],"c":"\\u00e9\\n","d":-0.5e+3}', "[]", " 1 ", '"x"', "true"];
  for (const text of valid) assert.equal(findJsonSyntaxError(text), null, text);
  const invalid = ["{", "[1,]", '{"a":1 "b":2}', '"abc', '"\\x"', "-", "1.", "[1]]", "{}{}", '"\\u12"'];
  for (const text of invalid) {
    assert.throws(() => JSON.parse(text));
    assert.notEqual(findJsonSyntaxError(text), null, text);
  }
  assert.equal(columnOf("a😀b", 3), 3, "an astral character counts once");
});

test("LineIndex maps byte offsets to lines across chunks, forwards and backwards", () => {
  const index = new LineIndex();
  index.append(Buffer.from("ab\ncd"));
  index.append(Buffer.from("\n\nef\n"));
  assert.equal(index.lineAt(0), 1);
  assert.equal(index.lineAt(3), 2);
  assert.equal(index.lineAt(7), 4);
  assert.equal(index.lineAt(1), 1);
  assert.equal(index.lastLineBefore(6), 2, "a record ending with its line feed belongs to the line before it");
  assert.equal(index.lastLineBefore(10), 4);
  assert.equal(index.skipLineBreaks(5), 7);
  index.release(7);
  assert.equal(index.lineAt(8), 4);
});

test("UTF-8 helpers: split characters, invalid bytes, and the chunk guard", () => {
  const e9 = Buffer.from("é"); // c3 a9
  assert.equal(completeUtf8Length(Buffer.from([0x61, e9[0]!])), 1);
  assert.equal(completeUtf8Length(Buffer.from([0x61, ...e9])), 3);
  assert.equal(firstInvalidUtf8(Buffer.from("ok")), -1);
  assert.equal(firstInvalidUtf8(Buffer.from([0x61, 0xc0, 0x80])), 1, "overlong");
  assert.equal(firstInvalidUtf8(Buffer.from([0x61, 0xed, 0xa0, 0x80])), 1, "surrogate");
  assert.equal(firstInvalidUtf8(Buffer.from([0x61, 0xf4, 0x90, 0x80, 0x80])), 1, "above U+10FFFF");
  assert.equal(firstInvalidUtf8(Buffer.from([0x61, 0x62, 0xe2, 0x82])), 2, "cut short");

  const guard = new Utf8Guard();
  guard.feed(Buffer.from([0x61, e9[0]!]), 0);
  guard.feed(Buffer.from([e9[1]!, 0x62, 0xff, 0x63]), 2);
  guard.finish();
  assert.equal(guard.firstBadIn(0, 4), -1);
  assert.equal(guard.firstBadIn(0, 6), 4);
  assert.equal(guard.firstBadIn(5, 6), -1);

  const cut = new Utf8Guard();
  cut.feed(Buffer.from([0x61, e9[0]!]), 0);
  cut.finish();
  assert.equal(cut.firstBadIn(0, 2), 1, "a character left incomplete at the end of the stream");
});

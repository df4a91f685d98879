import assert from "node:assert/strict";
import { test } from "node:test";
import { CompactError, readCompactStruct } from "../../../src/data/readers/thrift-compact.js";

// A Parquet page header as hyparquet-writer writes it: type 3 (data page v2), sizes 4147 and 2327,
// then field 8, a struct whose first field is the value count 500 (zigzag varint e8 07).
const HEADER = [0x15, 0x06, 0x15, 0xe6, 0x40, 0x15, 0xae, 0x24, 0x5c, 0x15, 0xe8, 0x07, 0x00, 0x00];

test("reads a page header: fields by id, nested structs, and where it ends", () => {
  const { value, end } = readCompactStruct(Uint8Array.from([...HEADER, 0xaa]));
  assert.equal(end, HEADER.length);
  assert.equal(value.get(1), 3);
  assert.equal(value.get(2), 4147);
  const page = value.get(8);
  assert.ok(page instanceof Map);
  assert.equal(page.get(1), 500);
});

function failure(bytes: number[]): CompactError {
  try {
    readCompactStruct(Uint8Array.from(bytes));
  } catch (err) {
    assert.ok(err instanceof CompactError, String(err));
    return err;
  }
  assert.fail("read without an error");
}

test("damage fails fast with a CompactError: counts beyond the bytes, unknown types, endless numbers, deep nesting", () => {
  // Cut anywhere: it ran out (and says so, so a reader can fetch more bytes).
  for (let cut = 0; cut < HEADER.length; cut++) assert.equal(failure(HEADER.slice(0, cut)).truncated, true, `cut at ${cut}`);
  // A list (field 1, type 9) of 2^31 elements in a few bytes: refused at once, not allocated or looped over.
  assert.equal(failure([0x19, 0xf5, 0xff, 0xff, 0xff, 0xff, 0x07]).truncated, true);
  // A binary (type 8) longer than what is left.
  assert.equal(failure([0x18, 0x7f, 0x01, 0x02]).truncated, true);
  // Type 14 is not a Thrift compact type (hyparquet: "thrift unhandled type: 14").
  assert.match(failure([0x1e, 0x00]).message, /unknown field type 14/);
  // A 32-bit number that goes on past five bytes.
  assert.match(failure([0x15, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]).message, /too long/);
  // Structs within structs, deeper than any Parquet header.
  assert.match(failure(Array.from({ length: 40 }, () => 0x1c)).message, /nest too deeply/);
});

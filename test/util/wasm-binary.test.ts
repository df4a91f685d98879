/**
 * The binary-format pieces the hand-assembled modules (fused/simd.ts,
 * graph/alea-wasm.ts) are built from, against the format's own examples and
 * against a runtime that validates what they assemble.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { name, section, sleb, uleb, vec, WASM_HEADER, webAssembly } from "../../src/util/wasm-binary.js";

test("LEB128 numbers are encoded as the format's examples say", () => {
  assert.deepEqual(uleb(0), [0x00]);
  assert.deepEqual(uleb(127), [0x7f]);
  assert.deepEqual(uleb(128), [0x80, 0x01]);
  assert.deepEqual(uleb(624_485), [0xe5, 0x8e, 0x26]);
  assert.deepEqual(uleb(0xffffffff), [0xff, 0xff, 0xff, 0xff, 0x0f]);
  // Signed: bit 6 of the last byte is the sign, so 64 needs a second byte and -64 does not.
  assert.deepEqual(sleb(63), [0x3f]);
  assert.deepEqual(sleb(64), [0xc0, 0x00]);
  assert.deepEqual(sleb(-64), [0x40]);
  assert.deepEqual(sleb(-123_456), [0xc0, 0xbb, 0x78]);
  assert.deepEqual(sleb(0xffffffffn), [0xff, 0xff, 0xff, 0xff, 0x0f]);
  assert.deepEqual(sleb(-1n), [0x7f]);
});

test("vectors, names and sections carry their lengths; names are UTF-8", () => {
  assert.deepEqual(vec([[1, 2], [3]]), [2, 1, 2, 3]);
  assert.deepEqual(name("é"), [2, 0xc3, 0xa9]);
  const body = new Array<number>(200).fill(0);
  assert.deepEqual(section(10, body).slice(0, 3), [10, 0xc8, 0x01]);
});

test("a module assembled from them is valid and runs", () => {
  const wasm = webAssembly();
  assert.ok(wasm, "Node has WebAssembly");
  // add(a: i32, b: i32) -> i32, plus a constant that needs a multi-byte signed LEB.
  const body = [0, 0x20, 0, 0x20, 1, 0x6a, 0x41, ...sleb(-123_456), 0x6a, 0x0b];
  const bytes = new Uint8Array([
    ...WASM_HEADER,
    ...section(1, vec([[0x60, ...vec([[0x7f], [0x7f]]), ...vec([[0x7f]])]])),
    ...section(3, vec([[0]])),
    ...section(7, vec([[...name("add"), 0x00, 0]])),
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ]);
  const add = new wasm.Instance(new wasm.Module(bytes)).exports["add"] as (a: number, b: number) => number;
  assert.equal(add(200_000, 3), 200_000 + 3 - 123_456);
});

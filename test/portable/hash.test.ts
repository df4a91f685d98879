import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { murmur3Bytes, murmur3BytesInt32, murmur3String, murmur3StringInt32, unsignedMod } from "../../src/portable/hash.js";

const bytes = (...b: number[]) => new Uint8Array(b);

// Published MurmurHash3_x86_32 vectors (SMHasher-verified lists, e.g. the
// ones collected on Stack Overflow "MurmurHash3 test vectors" and Wikipedia).
test("murmur3 matches the published byte vectors", () => {
  const vectors: [Uint8Array, number, number][] = [
    [bytes(), 0, 0],
    [bytes(), 1, 0x514e28b7],
    [bytes(), 0xffffffff, 0x81f16f39],
    [bytes(0xff, 0xff, 0xff, 0xff), 0, 0x76293b50],
    [bytes(0x21, 0x43, 0x65, 0x87), 0, 0xf55b516b],
    [bytes(0x21, 0x43, 0x65, 0x87), 0x5082edee, 0x2362f9de],
    [bytes(0x21, 0x43, 0x65), 0, 0x7e4a8634],
    [bytes(0x21, 0x43), 0, 0xa0f7b07a],
    [bytes(0x21), 0, 0x72661cf4],
    [bytes(0, 0, 0, 0), 0, 0x2362f9de],
    [bytes(0, 0, 0), 0, 0x85f0b427],
    [bytes(0, 0), 0, 0x30f4c306],
    [bytes(0), 0, 0x514e28b7],
  ];
  for (const [input, seed, expected] of vectors) {
    assert.equal(murmur3Bytes(input, seed), expected, `bytes [${[...input]}] seed ${seed}`);
  }
});

test("murmur3 matches the published string vectors", () => {
  const vectors: [string, number, number][] = [
    ["", 0, 0],
    ["", 1, 0x514e28b7],
    ["a", 0x9747b28c, 0x7fa09ea6],
    ["aaaa", 0x9747b28c, 0x5a97808a],
    ["abc", 0, 0xb3dd93fa],
    ["abcd", 0x9747b28c, 0xf0478627],
    ["Hello, world!", 0x9747b28c, 0x24884cba],
    ["Hello, world!", 1234, 0xfaf6cdb3],
    ["The quick brown fox jumps over the lazy dog", 0, 0x2e4ff723],
    ["The quick brown fox jumps over the lazy dog", 0x9747b28c, 0x2fa826cd],
    ["ππππππππ", 0x9747b28c, 0xd58063c1],
    // Python's mmh3 README: mmh3.hash("foo") == -156908512, mmh3.hash("foo", 42) == -1322301282.
    ["foo", 0, -156908512 >>> 0],
    ["foo", 42, -1322301282 >>> 0],
  ];
  for (const [input, seed, expected] of vectors) {
    assert.equal(murmur3String(input, seed), expected, `'${input}' seed ${seed}`);
  }
});

test("hashing a string equals hashing its UTF-8 bytes, surrogates included", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary", maxLength: 40 }), fc.integer({ min: 0, max: 0xffffffff }), (text, seed) => {
      assert.equal(murmur3String(text, seed), murmur3Bytes(new Uint8Array(Buffer.from(text, "utf8")), seed));
    }),
    { numRuns: 2000 },
  );
  // A lone surrogate encodes as U+FFFD, as Node's own UTF-8 encoder does.
  assert.equal(murmur3String("a\ud800b", 7), murmur3Bytes(new Uint8Array(Buffer.from("a\ufffdb", "utf8")), 7));
});

test("hashing bytes where they lie in a larger buffer (as the CSV reader does) equals hashing the string they hold", () => {
  fc.assert(
    fc.property(fc.string({ unit: "grapheme", maxLength: 30 }), fc.string({ maxLength: 9 }), fc.string({ maxLength: 9 }), fc.integer({ min: 0, max: 0xffffffff }), (text, before, after, seed) => {
      const start = Buffer.byteLength(before, "utf8");
      const bytes = Buffer.from(before + text + after, "utf8");
      assert.equal(murmur3BytesInt32(bytes, seed, Buffer.byteLength(text, "utf8"), start), murmur3StringInt32(text, seed));
    }),
    { numRuns: 2000 },
  );
});

test("a long non-ASCII string after a short one is hashed whole", () => {
  const long = "é".repeat(1000);
  murmur3String("é", 0);
  assert.equal(murmur3String(long, 3), murmur3Bytes(new Uint8Array(Buffer.from(long, "utf8")), 3));
});

test("bucketing reads the hash as unsigned, for every table size", () => {
  fc.assert(
    fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.integer({ min: 1, max: 2 ** 31 - 1 }), (h, m) => {
      assert.equal(unsignedMod(h, m, 1 / m), (h >>> 0) % m);
    }),
    { numRuns: 5000 },
  );
  // Edges: the largest hash against the largest and some awkward table sizes.
  for (const m of [1, 2, 3, 7, 1000, 2 ** 16 + 1, 2 ** 30, 2 ** 30 + 1, 2 ** 31 - 1, 0x7ffffffe]) {
    for (const h of [0, 1, -1, -2, 2 ** 31 - 1, -(2 ** 31), m - 1, m, (m * 2) | 0]) {
      assert.equal(unsignedMod(h, m, 1 / m), (h >>> 0) % m, `${h} mod ${m}`);
    }
  }
});

import { readFileSync } from "node:fs";
import { test } from "node:test";
import assert from "node:assert/strict";
import { compileSource } from "../../../src/compiler.js";
import { createEncoder, fitEncoding, numberColumns } from "../../../src/data/encode/index.js";
import { parseNumber } from "../../../src/data/encode/numeric.js";
import { DataError, type RawRecord, type ReadOptions } from "../../../src/data/record.js";
import { readRecords } from "../../../src/data/readers/index.js";
import { CENSUS_HEAD_FILE } from "../../../src/experiments/census/data-files.js";
import { csvOptions, fixture, readAll, tempFolder } from "./helpers.js";

const dir = tempFolder("csv-numbers");

/** Every record of `file`, read with and without number columns. */
async function bothWays(file: string, opts: ReadOptions, numbers: Set<string>) {
  const plain = await readAll(file, opts);
  const fast = await readAll(file, opts, { numbers });
  return { plain, fast };
}

/**
 * A number handed out for a number column is exactly what parseNumber makes
 * of the text the plain read gives; anything else is the same text or null.
 */
function assertSameMeaning(plain: RawRecord[], fast: RawRecord[], numbers: Set<string>): number {
  assert.equal(fast.length, plain.length);
  let parsed = 0;
  plain.forEach((p, r) => {
    assert.equal(fast[r]!.line, p.line);
    assert.deepEqual(Object.keys(fast[r]!.fields), Object.keys(p.fields));
    for (const [name, value] of Object.entries(p.fields)) {
      const got = fast[r]!.fields[name];
      if (typeof got === "number") {
        assert.ok(numbers.has(name), name);
        assert.equal(typeof value, "string");
        assert.ok(Object.is(got, parseNumber(value, name, "x", false)), `${name} ${JSON.stringify(value)} -> ${got}`);
        parsed++;
      } else {
        assert.deepEqual(got, value, `line ${p.line} ${name}`);
      }
    }
  });
  return parsed;
}

const EDGES = [
  "a,b,c",
  "1.5,-0,x",
  '"2.5","3e2",y',
  "  4 ,5.,z",
  "-.5,1e-310,w",
  "3.4028234663852886e38,3.5e38,v",
  "1e400,NaN,u",
  "Infinity,-Infinity,t",
  ",,s",
  "0x1F,1_000,r",
  "12345678901234567890123,9007199254740993,q",
  "4.9406564584124654e-324,2.2250738585072014e-308,p",
  "1e,1e+,o",
  "7,8,",
  "-0.43347707722704987,1.2331980616663418,n",
].join("\r\n");

test("number columns: plain decimals come out as Number()'s value, everything else as the text it was", async () => {
  const numbers = new Set(["a", "b"]);
  for (const [name, content] of [
    ["crlf.csv", `${EDGES}\r\n`],
    ["bom.csv", `\ufeff${EDGES.replaceAll("\r\n", "\n")}\n`],
    ["no-final-newline.csv", EDGES],
  ] as const) {
    const file = fixture(dir, name, content);
    const { plain, fast } = await bothWays(file, csvOptions(), numbers);
    assert.equal(fast.error, null);
    // 1.5, -0, "2.5", "3e2", 5., -.5, the largest float32, 7, 8 and the two 17-digit numbers; the rest (a subnormal, a tie, 23 digits...) stay text.
    assert.equal(assertSameMeaning(plain.records, fast.records, numbers), 11, name);
  }
});

test("number columns under trim, with missing markers that look like numbers", async () => {
  const file = fixture(dir, "trim.csv", "a,b\n 1 , -1\n-1,2.50\n ?,\t3e1\t\n9,\n");
  const opts = csvOptions({ trim: true, missing: ["-1", "?", ""] });
  const numbers = new Set(["a", "b"]);
  const { plain, fast } = await bothWays(file, opts, numbers);
  assertSameMeaning(plain.records, fast.records, numbers);
  // A value no longer than the longest marker stays text (the marker test needs it).
  assert.deepEqual(fast.records.map((r) => r.fields), [
    { a: "1", b: null },
    { a: null, b: 2.5 },
    { a: null, b: 30 },
    { a: "9", b: null },
  ]);
});

test("a file of many chunks: numbers split across chunk boundaries read alike", async () => {
  const rows = ["x,y,label"];
  for (let i = 0; i < 40_000; i++) rows.push(`${(Math.sin(i) * 1e3).toPrecision(17)},${i % 7 === 0 ? "" : (i / 7).toString()},${i % 2}`);
  const file = fixture(dir, "big.csv", `${rows.join("\n")}\n`);
  const numbers = new Set(["x", "y"]);
  const { plain, fast } = await bothWays(file, csvOptions(), numbers);
  assert.equal(assertSameMeaning(plain.records, fast.records, numbers), 40_000 + 40_000 - Math.ceil(40_000 / 7));
});

test("unread columns can be left out; not when a read column is absent, so its error can list the file's columns", async () => {
  const file = fixture(dir, "cols.csv", "a,b,c\n1,2,3\n");
  const kept = await readAll(file, csvOptions(), { columns: new Set(["a", "c"]) });
  assert.deepEqual(kept.records[0]!.fields, { a: "1", c: "3" });
  const all = await readAll(file, csvOptions(), { columns: new Set(["a", "zz"]) });
  assert.deepEqual(all.records[0]!.fields, { a: "1", b: "2", c: "3" });
});

/** The encoded batch of every record of a file, with the reader's number columns or without. */
async function encodeFile(spec: string, file: string, fast: boolean) {
  const ir = compileSource(spec, "spec.mtl").ir!;
  const read = (): AsyncIterable<RawRecord> => readRecords(file, ir.data, fast ? { numbers: numberColumns(ir) } : {});
  const state = await fitEncoding(ir, read(), file);
  const records: RawRecord[] = [];
  for await (const r of read()) records.push(r);
  return { state, batch: createEncoder(ir, state).encodeBatch(records, file) };
}

/** A small model over `features` (declarations without `feature`) with one regression task on `label`. */
function regressionSpec(features: string[], label: string): string {
  return [`model s "reader test"`, ...features.map((f) => `feature ${f}`), "input all = concat(*)", "expert bottom = mlp(all, [4])", "tower t = mlp(bottom, [2])", `task ${label} : regression = t label ${label} loss mse`].join("\n");
}

function bytes(a: Int32Array | Float32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

test("the census head file encodes byte for byte as it did with text fields", async () => {
  const spec = readFileSync("specs/census-mmoe.mtl", "utf8");
  const plain = await encodeFile(spec, CENSUS_HEAD_FILE, false);
  const fast = await encodeFile(spec, CENSUS_HEAD_FILE, true);
  assert.deepEqual(fast.state, plain.state);
  for (const [name, values] of Object.entries(plain.batch.features)) assert.ok(bytes(fast.batch.features[name]!).equals(bytes(values)), name);
  for (const [name, values] of Object.entries(plain.batch.labels)) assert.ok(bytes(fast.batch.labels[name]!).equals(bytes(values)), name);
});

test("numbers written in full (the MMoE synthetic data) encode byte for byte as with text fields, normalised too", async () => {
  const columns = ["x0", "x1", "x2", "y1"];
  const lines = [columns.join(",")];
  for (let i = 0; i < 3000; i++) lines.push([Math.sin(i) * 3, Math.cos(i * 7) / 9, Math.tan(i) * 1e-5, Math.sin(i * i)].map((x) => String(x)).join(","));
  const file = fixture(dir, "synthetic.csv", `${lines.join("\n")}\n`);
  const spec = regressionSpec(["x0 : numeric(normalize: zscore)", "x1 : numeric(normalize: minmax)", "x2 : numeric(normalize: none)"], "y1");
  const plain = await encodeFile(spec, file, false);
  const fast = await encodeFile(spec, file, true);
  assert.deepEqual(fast.state, plain.state);
  for (const [name, values] of Object.entries(plain.batch.features)) assert.ok(bytes(fast.batch.features[name]!).equals(bytes(values)), name);
  assert.ok(bytes(fast.batch.labels.y1!).equals(bytes(plain.batch.labels.y1!)));
});

test("bad numbers give the same errors with number columns as without", async () => {
  const spec = regressionSpec(["x : numeric(transform: log1p)"], "y");
  for (const value of ["abc", "3.5e38", "1e400", "-2", " NaN", "Infinity", "0x10"]) {
    const file = fixture(dir, "bad.csv", `x,y\n1,2\n${value},3\n`);
    const messages = await Promise.all(
      [false, true].map(async (fast) => {
        try {
          await encodeFile(spec, file, fast);
          return "no error";
        } catch (error) {
          assert.ok(error instanceof DataError, String(error));
          return error.render();
        }
      }),
    );
    assert.equal(messages[1], messages[0], value);
    assert.notEqual(messages[0], "no error", value);
  }
});

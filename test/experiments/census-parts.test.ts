import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { gzipSync } from "node:zlib";
import { compileSource } from "../../src/compiler.js";
import { ARCHITECTURES } from "../../src/experiments/architectures.js";
import { splitCensus, toParquet } from "../../src/experiments/census/split.js";
import { readRecords } from "../../src/data/readers/index.js";
import { readOptionsFor } from "../../src/train/read-options.js";
import { censusParts, censusSpec, CENSUS_SPEC } from "../../src/experiments/census/specs.js";

const train = { lr: 0.001, batch: 256, epochs: 1, seed: 1 };

function tempFolder(t: TestContext, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test("the census specs take the data section, features and labels of specs/census-mmoe.mtl", () => {
  const parts = censusParts();
  const product = compileSource(readFileSync(CENSUS_SPEC, "utf8"), CENSUS_SPEC).ir!;
  assert.deepEqual(parts.tasks.map((t) => t.clauses), ['label income is "50000+."', 'label marital_stat is "Never married"']);
  for (const arch of ARCHITECTURES) {
    const result = compileSource(censusSpec(parts, arch, 100, train), `${arch}.mtl`);
    assert.deepEqual(result.diagnostics.filter((d) => d.severity === "error"), [], arch);
    const ir = result.ir!;
    assert.deepEqual(ir.data, product.data, `${arch} reads the file as the product spec does`);
    assert.deepEqual(ir.features, product.features, `${arch} has the product spec's features`);
    assert.deepEqual(
      ir.tasks.map((t) => [t.name, t.label]),
      product.tasks.map((t) => [t.name, t.label]),
    );
  }
});

test("splitCensus shuffles with a fixed seed and splits 4 : 1 : 1, keeping every line verbatim", (t) => {
  const dir = tempFolder(t, "mtl-census-split-");
  const lines = Array.from({ length: 60 }, (_, i) => `${i}, padded field ${i}, ?`);
  const file = join(dir, "rows.gz");
  writeFileSync(file, gzipSync(lines.join("\n") + "\n"));
  const split = splitCensus(file, join(dir, "a"), 7);
  assert.deepEqual(split.rows, { train: 40, valid: 10, test: 10 });
  const read = (path: string) => readFileSync(path, "utf8").trimEnd().split("\n");
  const parts = [read(split.train), read(split.valid), read(split.test)];
  assert.deepEqual(parts.flat().sort(), [...lines].sort(), "every line once, unchanged");
  assert.notDeepEqual(parts.flat(), lines, "shuffled");
  const again = splitCensus(file, join(dir, "b"), 7);
  assert.deepEqual(read(again.train), parts[0], "the same seed gives the same split");
  const limited = splitCensus(file, join(dir, "c"), 7, 12);
  assert.deepEqual(limited.rows, { train: 8, valid: 2, test: 2 });
  assert.deepEqual([read(limited.train), read(limited.valid), read(limited.test)].flat().sort(), lines.slice(0, 12).sort(), "a limit keeps the first rows");
  assert.throws(() => splitCensus(join(dir, "missing.gz"), join(dir, "d"), 7), /cannot read the census file .*missing\.gz/);
});

test("toParquet stores each part as the spec's reader sees it: trimmed text, '?' as missing", async (t) => {
  const dir = tempFolder(t, "mtl-census-parquet-");
  const file = join(dir, "rows.gz");
  writeFileSync(file, gzipSync(Array.from({ length: 12 }, (_, i) => `${i}, text ${i}, ${i % 3 === 0 ? "?" : "x"}`).join("\n")));
  const read = { format: "csv" as const, header: false, delimiter: ",", trim: true, missing: ["?", ""], columns: ["n", "t", "m"] };
  const csv = splitCensus(file, dir, 1);
  const parquet = await toParquet(csv, read);
  assert.deepEqual(parquet.rows, csv.rows);
  for (const part of ["train", "valid", "test"] as const) {
    assert.match(parquet[part], /\.parquet$/);
    const fromCsv = [];
    for await (const r of readRecords(csv[part], read)) fromCsv.push(r.fields);
    const fromParquet = [];
    for await (const r of readRecords(parquet[part], readOptionsFor(parquet[part], read))) fromParquet.push(r.fields);
    assert.deepEqual(fromParquet, fromCsv, part);
  }
  const first = [];
  for await (const r of readRecords(parquet.train, readOptionsFor(parquet.train, read))) first.push(r.fields);
  assert.ok(first.some((f) => f["m"] === null) && first.every((f) => typeof f["t"] === "string" && !f["t"].startsWith(" ")));
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, existsSync, readFileSync, statSync, utimesSync } from "node:fs";
import { join } from "node:path";
import { createEncoder, fitEncoding, type EncodingState } from "../../src/data/encode/index.js";
import type { RawRecord } from "../../src/data/record.js";
import type { ValidIR } from "../../src/ir/types.js";
import { readOptionsFor } from "../../src/train/read-options.js";
import { selectBackend } from "../../src/runtime/backend/select.js";
import { SkipBudget } from "../../src/train/bad-rows.js";
import { DATA_CACHE_DIR, encodeRows, encodeUnfitted, hasStatistics, permutation, type EncodedRows } from "../../src/train/encoded-rows.js";
import { compileSource } from "../../src/compiler.js";
import type { DataError } from "../../src/data/record.js";
import { readLabelled, trainModel } from "../../src/train/trainer.js";
import { smallEsmmData, specIr, tempDir } from "./fixtures.js";
import { packageRoot } from "../../src/util/package-root.js";

const quiet = { fitted() {}, epochStart() {}, step() {}, epochEnd() {} };

async function setup(rows: number) {
  const { ir, text } = specIr("esmm-mmoe-gmv.mtl");
  const data = await smallEsmmData(tempDir("rows-data"), rows, 50);
  const source = { file: data.train, read: readOptionsFor(data.train, ir.data) };
  const encoding = await fitEncoding(ir, readLabelled(ir, source, new SkipBudget(0)), source.file);
  return { ir, text, data, source, encoding };
}

/** Encodes the file, counting how often it was actually read. */
async function encode(ir: ValidIR, encoding: EncodingState, source: { file: string; read: ReturnType<typeof readOptionsFor> }, out: string, memoryBytes?: number, skipBadRows = 0) {
  const counted = readCounting(ir, source, out, memoryBytes, skipBadRows);
  const rows = await encodeRows(ir, createEncoder(ir, encoding), encoding, source, counted.options);
  return { rows, reads: counted.reads() };
}

/** encodeRows' options, reading `source` and counting how often it was read. */
function readCounting(ir: ValidIR, source: { file: string; read: ReturnType<typeof readOptionsFor> }, out: string, memoryBytes: number | undefined, skipBadRows: number) {
  let reads = 0;
  const options = {
    skipBadRows,
    out,
    role: "train",
    read: (budget: Pick<SkipBudget, "readerLimits">): AsyncIterable<RawRecord> => {
      reads++;
      return readLabelled(ir, source, budget);
    },
    ...(memoryBytes !== undefined && { memoryBytes }),
  };
  return { options, reads: () => reads };
}

function everything(rows: EncodedRows) {
  return [...rows.batches(97)];
}

test("past the memory bound the rows go to a cache file that reads back exactly as memory does", async () => {
  const { ir, source, encoding } = await setup(700);
  const out = tempDir("rows-out");
  const memory = await encode(ir, encoding, source, out);
  const disk = await encode(ir, encoding, source, out, 4096);
  assert.equal(memory.rows.where, "memory");
  assert.equal(disk.rows.where, "disk");
  assert.equal(disk.rows.rows, 700);
  assert.deepEqual(everything(disk.rows), everything(memory.rows));
  const order = permutation(700, "x");
  assert.deepEqual(disk.rows.gather(order, 100, 164), memory.rows.gather(order, 100, 164));
  assert.deepEqual(disk.rows.labelValues, memory.rows.labelValues);
  // The passes over the labels alone see the labels and masks of every row, in file order.
  for (const rows of [memory.rows, disk.rows]) {
    const targets = [...rows.targets(97)].map(({ batch }) => batch);
    assert.deepEqual(
      targets,
      everything(memory.rows).map(({ batch }) => ({ size: batch.size, features: {}, labels: batch.labels, masks: batch.masks })),
    );
  }
  // The rows are those the encoder makes of the file, in file order, with their lines.
  const first = memory.rows.gather(null, 0, 3);
  assert.deepEqual([...first.lines], [2, 3, 4]);
  memory.rows.dispose();
  disk.rows.dispose();
});

test("the disk cache is reused while the file and the encoding are unchanged, and rebuilt when either changes", async () => {
  const { ir, source, encoding } = await setup(400);
  const out = tempDir("rows-cache");
  const cache = join(out, DATA_CACHE_DIR, "train.bin");
  const first = await encode(ir, encoding, source, out, 1024);
  assert.equal(first.reads, 1);
  assert.ok(existsSync(cache));
  const expected = everything(first.rows);
  first.rows.dispose();

  const again = await encode(ir, encoding, source, out, 1024);
  assert.equal(again.reads, 0, "same file, same encoding: the cache is read, not the file");
  assert.deepEqual(everything(again.rows), expected);
  again.rows.dispose();

  // Touching the file changes its identity (mtime): rebuilt.
  const later = new Date(statSync(source.file).mtimeMs + 5000);
  utimesSync(source.file, later, later);
  const touched = await encode(ir, encoding, source, out, 1024);
  assert.equal(touched.reads, 1);
  touched.rows.dispose();

  // Another encoding (a numeric feature normalised differently): rebuilt, and the rows differ.
  const changed = structuredClone(encoding);
  const numeric = Object.keys(changed.features).find((name) => "mean" in (changed.features[name] as object))!;
  (changed.features[numeric] as { mean: number }).mean += 1;
  const reencoded = await encode(ir, changed, source, out, 1024);
  assert.equal(reencoded.reads, 1);
  assert.notDeepEqual(everything(reencoded.rows), expected);
  reencoded.rows.dispose();

  // A damaged cache (cut short) is not trusted: rebuilt.
  const bytes = readFileSync(cache);
  (await import("node:fs")).writeFileSync(cache, bytes.subarray(0, bytes.length - 100));
  const repaired = await encode(ir, changed, source, out, 1024);
  assert.equal(repaired.reads, 1);
  repaired.rows.dispose();
});

test("an epoch's order is a full permutation, the same for the same seed and epoch, another for the next epoch", () => {
  const a = permutation(1000, "7:epoch1");
  assert.deepEqual(
    [...a].sort((x, y) => x - y),
    Array.from({ length: 1000 }, (_, i) => i),
  );
  assert.deepEqual(permutation(1000, "7:epoch1"), a);
  assert.notDeepEqual(permutation(1000, "7:epoch2"), a);
  assert.notDeepEqual(permutation(1000, "8:epoch1"), a);
});

test("training from the on-disk cache gives the same losses and metrics as from memory", async () => {
  await selectBackend();
  const { ir, text, data } = await setup(600);
  ir.train.batch = 64;
  ir.train.epochs = 2;
  const run = async (dataMemoryBytes?: number) => {
    const out = tempDir("rows-train");
    const result = await trainModel({
      ir,
      specText: text,
      train: { file: data.train, read: readOptionsFor(data.train, ir.data) },
      valid: { file: data.valid, read: readOptionsFor(data.valid, ir.data) },
      out,
      skipBadRows: 0,
      shuffleBuffer: 1000,
      events: quiet,
      ...(dataMemoryBytes !== undefined && { dataMemoryBytes }),
    });
    return { losses: result.losses, metrics: result.metrics, cached: existsSync(join(out, DATA_CACHE_DIR, "train.bin")) && existsSync(join(out, DATA_CACHE_DIR, "valid.bin")) };
  };
  const memory = await run();
  const disk = await run(512);
  assert.equal(memory.cached, false);
  assert.equal(disk.cached, true);
  assert.equal(memory.losses.length, 2 * Math.ceil(600 / 64));
  assert.deepEqual(disk.losses, memory.losses);
  assert.deepEqual(disk.metrics, memory.metrics);
});

test("without numeric features one pass encodes the rows and finds the encoding that fitting would (bad rows skipped once), and caches them for a resumed run", async () => {
  const esmm = readFileSync(join(packageRoot(), "specs", "esmm.mtl"), "utf8").replace(/^feature price .*$/m, "");
  const compiled = compileSource(esmm, "esmm-ids.mtl");
  const ir = compiled.ir!;
  assert.equal(hasStatistics(ir), false);
  assert.equal(hasStatistics(specIr("esmm.mtl").ir), true);
  const data = await smallEsmmData(tempDir("unfitted-data"), 300, 10);
  // A label that is not 0 or 1: a bad row, skipped under --skip-bad-rows 1.
  const header = readFileSync(data.train, "utf8").split("\n")[0]!.split(",");
  appendFileSync(data.train, header.map((c) => (c === "click" ? "maybe" : c === "user_id" ? "u1" : "0")).join(",") + "\n");
  const source = { file: data.train, read: readOptionsFor(data.train, ir.data) };
  const fitBudget = new SkipBudget(1);
  const fitted = await fitEncoding(ir, readLabelled(ir, source, fitBudget, undefined, true), source.file, { onBadRow: fitBudget.take });
  assert.equal(fitBudget.skipped.length, 1);

  for (const memoryBytes of [undefined, 2048]) {
    const out = tempDir("unfitted-out");
    const heard: DataError[] = [];
    const counted = readCounting(ir, source, out, memoryBytes, 1);
    const once = await encodeUnfitted(ir, source, { ...counted.options, onSkip: (e) => heard.push(e) });
    assert.equal(counted.reads(), 1);
    assert.deepEqual(once.encoding, fitted);
    assert.equal(once.rows.skipped, 1);
    assert.deepEqual(heard.map((e) => e.line), [fitBudget.skipped[0]!.line]);
    const twice = await encode(ir, fitted, source, tempDir("unfitted-twice"), memoryBytes, 1);
    assert.deepEqual(everything(once.rows), everything(twice.rows));
    assert.deepEqual(once.rows.labelValues, twice.rows.labelValues);
    assert.equal(once.rows.where, memoryBytes === undefined ? "memory" : "disk");
    if (memoryBytes !== undefined) {
      // A resumed run encodes with the checkpoint's encoding, which is this one: it reads the cache, not the file.
      const resumed = await encode(ir, once.encoding, source, out, memoryBytes, 1);
      assert.equal(resumed.reads, 0);
      assert.deepEqual(everything(resumed.rows), everything(twice.rows));
      resumed.rows.dispose();
    }
    once.rows.dispose();
    twice.rows.dispose();
  }
});

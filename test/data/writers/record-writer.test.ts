import { spawn } from "node:child_process";
import { once } from "node:events";
import { chmodSync, existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { DataError, type ReadOptions } from "../../../src/data/record.js";
import { readRecords } from "../../../src/data/readers/index.js";
import { createRecordWriter, formatNumber } from "../../../src/data/writers/index.js";
import { characterDevice } from "../../helpers/devices.js";

const dir = mkdtempSync(join(tmpdir(), "mtl-writer-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const csvRead: ReadOptions = { format: "csv", header: true, delimiter: ",", trim: true, missing: [], columns: null };
const jsonlRead: ReadOptions = { ...csvRead, format: "jsonl" };
const writerModule = new URL("../../../src/data/writers/index.js", import.meta.url).href;

function tempFiles(folder: string): string[] {
  return readdirSync(folder).filter((f) => f.endsWith(".tmp"));
}

async function readBack(file: string, opts: ReadOptions): Promise<Array<Record<string, unknown>>> {
  const out = [];
  for await (const r of readRecords(file, opts)) out.push(r.fields);
  return out;
}

const awkward = ["plain", "a,b", 'say "hi"', "two\nlines", "crlf\r\nline", " padded ", "\ttab", "", "ünïcødé 😀", "NA", "?"];

test("CSV: RFC 4180 quoting survives a round trip through the (trimming) reader", async () => {
  const file = join(dir, "quoted.csv");
  const w = createRecordWriter(file, "csv", ["id", "text", "score"]);
  for (const [i, text] of awkward.entries()) await w.write({ id: i, text, score: i / 7 });
  await w.close();
  const back = await readBack(file, csvRead);
  assert.deepEqual(
    back.map((f) => f["text"]),
    awkward,
  );
  assert.deepEqual(back.map((f) => Number(f["score"])), awkward.map((_, i) => i / 7));
  const text = readFileSync(file, "utf8");
  assert.ok(text.startsWith("id,text,score\n0,plain,0\n1,\"a,b\","));
  assert.ok(text.includes('"say ""hi"""'));
  assert.ok(text.includes('," padded ",'));
});

test("CSV: null is an empty field, an empty string is \"\"; a missing key is null; extra keys are ignored", async () => {
  const file = join(dir, "nulls.csv");
  const w = createRecordWriter(file, "csv", ["a", "b", "c"]);
  w.write({ a: null, b: "", c: 1, extra: "ignored" });
  w.write({ a: "x" });
  await w.close();
  assert.equal(readFileSync(file, "utf8"), 'a,b,c\n,"",1\nx,,\n');
});

test("CSV header names are quoted when needed", async () => {
  const file = join(dir, "header.csv");
  const w = createRecordWriter(file, "csv", ["p(ctr)", "a,b"]);
  w.write({ "p(ctr)": 0.5, "a,b": 1 });
  await w.close();
  assert.equal(readFileSync(file, "utf8"), 'p(ctr),"a,b"\n0.5,1\n');
});

test("JSONL: one object per line, keys in column order, NaN and Infinity as null", async () => {
  const file = join(dir, "out.jsonl");
  const w = createRecordWriter(file, "jsonl", ["id", "text", "p"]);
  for (const [i, text] of awkward.entries()) w.write({ id: i, text, p: Math.fround(i / 3) });
  w.write({ id: 99, text: null, p: NaN });
  w.write({ id: 100, text: "x", p: -Infinity });
  await w.close();
  const lines = readFileSync(file, "utf8").trimEnd().split("\n");
  assert.equal(lines.length, awkward.length + 2);
  assert.equal(lines[0], '{"id":0,"text":"plain","p":0}');
  assert.equal(lines[1], '{"id":1,"text":"a,b","p":0.33333334}');
  assert.equal(lines[awkward.length], '{"id":99,"text":null,"p":null}');
  const back = await readBack(file, jsonlRead);
  assert.deepEqual(back.slice(0, awkward.length).map((f) => f["text"]), awkward);
  assert.deepEqual(back.slice(0, awkward.length).map((f) => Math.fround(f["p"] as number)), awkward.map((_, i) => Math.fround(i / 3)));
});

test("numbers: float32 values print short and read back exactly; other doubles print exactly", () => {
  assert.equal(formatNumber(Math.fround(0.1)), "0.1");
  assert.equal(formatNumber(Math.fround(0.3)), "0.3");
  assert.equal(formatNumber(Math.fround(1 / 3)), "0.33333334");
  assert.equal(formatNumber(0.1), "0.1");
  assert.equal(formatNumber(1 / 3), "0.3333333333333333");
  assert.equal(formatNumber(-0), "0");
  assert.equal(formatNumber(42), "42");
  assert.equal(formatNumber(1e21), "1e+21");
  assert.equal(formatNumber(Math.fround(1e-30)), "1e-30");
  assert.equal(formatNumber(NaN), "NaN");
  assert.equal(formatNumber(-Infinity), "-Infinity");
  fc.assert(
    fc.property(fc.float({ noNaN: true, noDefaultInfinity: true }), (x) => {
      const text = formatNumber(x);
      const digits = text.replace(/^-|e.*$|\./g, "").replace(/^0+/, "").length;
      return Math.fround(Number(text)) === (x === 0 ? 0 : x) && (Number.isInteger(x) || digits <= 9);
    }),
    { numRuns: 20_000 },
  );
  fc.assert(
    fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => Number(formatNumber(x)) === (x === 0 ? 0 : x)),
    { numRuns: 20_000 },
  );
});

test("atomic file: until close the target keeps its old content; abort leaves it and no temp file", async () => {
  const folder = mkdtempSync(join(dir, "atomic-"));
  const file = join(folder, "preds.csv");
  writeFileSync(file, "old\ncontent\n");
  const w = createRecordWriter(file, "csv", ["id", "p"]);
  for (let i = 0; i < 50_000; i++) await w.write({ id: i, p: i / 50_000 });
  assert.equal(readFileSync(file, "utf8"), "old\ncontent\n", "the target is untouched while writing");
  assert.equal(tempFiles(folder).length, 1, "the rows so far are in a temp file beside it");
  await w.abort();
  assert.equal(readFileSync(file, "utf8"), "old\ncontent\n");
  assert.deepEqual(readdirSync(folder), ["preds.csv"]);
  await w.abort();
  await w.close();
  assert.throws(() => w.write({ id: 1, p: 1 }), /after close or abort/);
});

test("atomic file: abort on a new target leaves nothing; close moves the complete file into place", async () => {
  const folder = mkdtempSync(join(dir, "atomic-new-"));
  const file = join(folder, "new.jsonl");
  const aborted = createRecordWriter(file, "jsonl", ["x"]);
  aborted.write({ x: 1 });
  await aborted.abort();
  assert.deepEqual(readdirSync(folder), []);

  const w = createRecordWriter(file, "jsonl", ["x"]);
  for (let i = 0; i < 10; i++) w.write({ x: i });
  assert.equal(existsSync(file), false);
  await w.close();
  assert.deepEqual(readdirSync(folder), ["new.jsonl"]);
  assert.equal(readFileSync(file, "utf8").split("\n").length, 11);
});

test("a reader never sees a partial file while a writer replaces it", async () => {
  const folder = mkdtempSync(join(dir, "race-"));
  const file = join(folder, "scores.csv");
  const oldRows = 1_000;
  const newRows = 120_000;
  const seed = createRecordWriter(file, "csv", ["id"]);
  for (let i = 0; i < oldRows; i++) seed.write({ id: i });
  await seed.close();

  let writing = true;
  const seen = new Set<number>();
  const readerLoop = (async () => {
    while (writing) {
      let count = 0;
      for await (const _ of readRecords(file, { ...csvRead, trim: false })) count++;
      seen.add(count);
      await new Promise((r) => setImmediate(r));
    }
  })();
  const w = createRecordWriter(file, "csv", ["id"]);
  for (let i = 0; i < newRows; i++) {
    const pending = w.write({ id: i });
    if (pending) await pending;
    if (i % 5_000 === 0) await new Promise((r) => setImmediate(r));
  }
  await w.close();
  writing = false;
  await readerLoop;
  let finalCount = 0;
  for await (const _ of readRecords(file, csvRead)) finalCount++;
  assert.equal(finalCount, newRows);
  assert.ok(seen.size >= 1);
  for (const count of seen) assert.ok(count === oldRows || count === newRows, `a reader saw ${count} rows`);
  assert.deepEqual(tempFiles(folder), []);
});

test("a target in a folder that does not exist fails with a DataError and leaves nothing", async () => {
  const file = join(dir, "no-such-folder", "out.csv");
  const w = createRecordWriter(file, "csv", ["a"]);
  w.write({ a: 1 });
  await assert.rejects(w.close(), (err: unknown) => err instanceof DataError && /folder does not exist/.test(err.message) && err.file === file);
  assert.equal(existsSync(join(dir, "no-such-folder")), false);
});

test("a write error on a big write is reported by that write, and close reports it again", async () => {
  const file = join(dir, "missing-dir", "big.csv");
  const w = createRecordWriter(file, "csv", ["a"]);
  let failure: unknown = null;
  for (let i = 0; i < 100_000 && failure === null; i++) {
    try {
      await w.write({ a: "x".repeat(20) });
    } catch (err) {
      failure = err;
    }
  }
  assert.ok(failure instanceof DataError);
  await assert.rejects(w.close(), DataError);
});

test("bad column lists are programming errors", () => {
  assert.throws(() => createRecordWriter(join(dir, "x.csv"), "csv", []), /at least one column/);
  assert.throws(() => createRecordWriter(join(dir, "x.csv"), "csv", ["a", "a"]), /duplicate/);
});

/** Runs a child that writes `rows` CSV rows to "-" and returns its process. */
function stdoutWriter(rows: number | "forever"): ReturnType<typeof spawn> {
  const limit = rows === "forever" ? "Infinity" : String(rows);
  const script = `
    import { createRecordWriter } from ${JSON.stringify(writerModule)};
    const w = createRecordWriter("-", "csv", ["id", "text"]);
    try {
      for (let i = 0; i < ${limit}; i++) {
        const p = w.write({ id: i, text: "row " + i + " with, a comma" });
        if (p) await p;
      }
      await w.close();
    } catch (e) {
      process.stderr.write("stopped: " + e.message + "\\n");
      process.exitCode = 3;
    }`;
  return spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "pipe"] });
}

test('"-" writes to standard output and waits for a slow reader', async () => {
  const rows = 200_000;
  const child = stdoutWriter(rows);
  const chunks: Buffer[] = [];
  let reads = 0;
  child.stdout!.on("data", (chunk: Buffer) => {
    chunks.push(chunk);
    // Pause now and then so the pipe fills up and the writer has to wait for 'drain'.
    if (++reads % 20 === 0) {
      child.stdout!.pause();
      setTimeout(() => child.stdout!.resume(), 20);
    }
  });
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (s: string) => (stderr += s));
  const [code] = (await once(child, "close")) as [number | null];
  assert.equal(code, 0, stderr);
  const lines = Buffer.concat(chunks).toString("utf8").split("\n");
  assert.equal(lines[0], "id,text");
  assert.equal(lines.length, rows + 2);
  assert.equal(lines[rows], `${rows - 1},"row ${rows - 1} with, a comma"`);
});

test('"-" whose reader goes away fails with a clear error instead of hanging or crashing', async () => {
  const child = stdoutWriter("forever");
  let received = 0;
  child.stdout!.on("data", (chunk: Buffer) => {
    received += chunk.length;
    if (received > 1_000_000) child.stdout!.destroy();
  });
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (s: string) => (stderr += s));
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  const [code, signal] = (await once(child, "close")) as [number | null, string | null];
  clearTimeout(timer);
  assert.equal(signal, null, "the writer hung and had to be killed");
  assert.equal(code, 3, stderr);
  assert.match(stderr, /stopped: standard output was closed before all rows were written/);
});

test("a file target keeps its mode and is written through a link; a device is written in place; a folder is a DataError", async () => {
  const real = join(dir, "mode-real.csv");
  writeFileSync(real, "old\n");
  chmodSync(real, 0o600);
  symlinkSync("mode-real.csv", join(dir, "mode-link.csv"));
  const writer = createRecordWriter(join(dir, "mode-link.csv"), "csv", ["a"]);
  await writer.write({ a: 1 });
  await writer.close();
  assert.ok(lstatSync(join(dir, "mode-link.csv")).isSymbolicLink(), "the link stays a link");
  assert.equal(readFileSync(real, "utf8"), "a\n1\n");
  assert.equal(statSync(real).mode & 0o777, 0o600, "a private file stays private");
  assert.deepEqual(tempFiles(dir), []);

  const device = characterDevice(dir, "null");
  const toDevice = createRecordWriter(device, "jsonl", ["a"]);
  await toDevice.write({ a: 1 });
  await toDevice.close();
  assert.ok(statSync(device).isCharacterDevice(), "the device stays a device");

  assert.throws(() => createRecordWriter(dir, "csv", ["a"]), (e: unknown) => e instanceof DataError && /the output path is a folder/.test(e.message));
});

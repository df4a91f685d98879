import { after, test } from "node:test";
import assert from "node:assert/strict";
import { BadRowBudget } from "../../../src/data/readers/bad-rows.js";
import { readCsvBlocks, type CsvConsumer } from "../../../src/data/readers/csv.js";
import { readThreads, setReadThreads, setSplitSizes, splitCounts } from "../../../src/data/readers/csv-split.js";
import { availableCores } from "../../../src/runtime/parallel/cores.js";
import { DataError, type ReadOptions } from "../../../src/data/record.js";
import { csvOptions, fixture, tempFolder } from "./helpers.js";

const dir = tempFolder("csv-split");
// Small rounds, so that a file of some hundred kilobytes is split many times, at every kind of place.
setSplitSizes(16 << 10, 40 << 10);
after(() => {
  setSplitSizes();
  setReadThreads(null);
});

/** Everything a block read hands out, as text: each row's line, every kept field's value and number (bit for bit), then the skipped rows and the error. */
async function readBlocks(file: string, opts: ReadOptions, threads: number, consumer: CsvConsumer, skipBadRows = 0): Promise<string[]> {
  setReadThreads(threads);
  const out: string[] = [];
  const show = (x: number) => (Object.is(x, -0) ? "-0" : String(x));
  try {
    const budget = new BadRowBudget({ skipBadRows, onSkip: (e) => out.push(`skipped ${e.line}: ${e.message}`) });
    for await (const { columns, from, to } of readCsvBlocks(file, opts, budget, consumer)) {
      const kept = [...(consumer.columns ?? columns.names)];
      for (let r = from; r < to; r++) {
        const fields = kept.map((name) => {
          const k = columns.column(name);
          return `${JSON.stringify(columns.value(r, k, consumer.numbers?.has(name) ?? false))}/${show(columns.number(r, k))}/${columns.hash(r, k, 7)}`;
        });
        out.push(`${columns.lines[r]}: ${fields.join(" ")}`);
      }
    }
  } catch (error) {
    if (!(error instanceof DataError)) throw error;
    out.push(`error ${error.line}: ${error.message} (${error.hint})`);
  }
  return out;
}

/** A CSV text of `rows` rows of awkward fields: numbers written in full, quoted fields with delimiters, quotes and line breaks, blank lines, missing values. */
function awkwardCsv(rows: number, eol: string, seed: number, delimiter = ","): string {
  let state = seed;
  const next = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const lines = [["id", "x", "y", "note", "label"].join(delimiter)];
  for (let r = 0; r < rows; r++) {
    const x = ((next() - 0.5) * 10 ** Math.floor(next() * 6 - 3)).toPrecision(17);
    const y = next() < 0.05 ? "" : String(Math.floor(next() * 100));
    const kind = next();
    const note = kind < 0.1 ? `"multi${eol}line, ""quoted"" ${r}"` : kind < 0.2 ? `"a,b ${r}"` : kind < 0.25 ? "é" : `n${r % 97}`;
    lines.push([r, x, y, note, r % 2].join(delimiter));
    if (next() < 0.01) lines.push("");
  }
  return lines.join(eol) + eol;
}

const consumer: CsvConsumer = { numbers: new Set(["x", "y"]), columns: new Set(["id", "x", "y", "note", "label"]) };

test("a split read hands out the same rows, lines, values and numbers as a read on one thread", async () => {
  for (const [eol, bom, delimiter] of [
    ["\n", "", ","],
    ["\r\n", "\ufeff", "\t"],
    ["\n", "", "::"],
  ] as const) {
    const file = fixture(dir, `awkward${eol.length}${delimiter.length}.csv`, bom + awkwardCsv(6000, eol, 1, delimiter));
    const opts = csvOptions({ delimiter });
    const before = { ...splitCounts };
    const split = await readBlocks(file, opts, 2, consumer);
    // Most segments' rows were the worker's; some starts fell inside a quoted field and were scanned again.
    assert.ok(splitCounts.taken - before.taken >= 3, `${splitCounts.taken - before.taken} segments taken`);
    const single = await readBlocks(file, opts, 1, consumer);
    assert.equal(single.length, 6000);
    assert.equal(split.length, single.length);
    assert.deepEqual(split, single);
  }
});

test("one thread unless MTL_SPLIT_CSV=on asks for two; --threads 1 wins over it", () => {
  setReadThreads(null);
  assert.equal(readThreads({}), 1);
  assert.equal(readThreads({ MTL_SPLIT_CSV: "off" }), 1);
  assert.equal(readThreads({ MTL_SPLIT_CSV: " On " }), availableCores() >= 2 ? 2 : 1);
  setReadThreads(1);
  assert.equal(readThreads({ MTL_SPLIT_CSV: "on" }), 1);
});

test("--threads 1 keeps the read on the main thread", async () => {
  const file = fixture(dir, "one-thread.csv", awkwardCsv(3000, "\n", 2));
  const before = { ...splitCounts };
  await readBlocks(file, csvOptions(), 1, consumer);
  assert.deepEqual(splitCounts, before);
});

test("a split start inside a quoted field is found out and that part is scanned again on the main thread", async () => {
  // Most line breaks are inside a quoted field, so most worker starts are wrong.
  const rows = Array.from({ length: 3000 }, (_, r) => `${r},"${"long first line ".repeat(4)}\nsecond ${r}"`);
  const file = fixture(dir, "quoted.csv", `id,text\n${rows.join("\n")}\n`);
  const before = { ...splitCounts };
  const split = await readBlocks(file, csvOptions(), 2, { columns: new Set(["id", "text"]) });
  assert.ok(splitCounts.rescanned > before.rescanned, "no segment was scanned again");
  assert.deepEqual(split, await readBlocks(file, csvOptions(), 1, { columns: new Set(["id", "text"]) }));
});

test("bad rows in the worker's parts are reported as a plain read reports them, in file order", async () => {
  const text = awkwardCsv(5000, "\n", 3).split("\n");
  // A short row, a long row and bytes that are not UTF-8, spread over the file.
  text[1500] = "1,2";
  text[3100] = `${text[3100]},extra`;
  const bytes = Buffer.concat([Buffer.from(text.slice(0, 4200).join("\n") + "\n"), Buffer.from([0x31, 0x2c, 0xff, 0x2c, 0x31, 0x2c, 0x61, 0x2c, 0x30, 0x0a]), Buffer.from(text.slice(4200).join("\n"))]);
  const file = fixture(dir, "bad.csv", bytes);
  for (const skip of [0, 1, 10]) {
    const split = await readBlocks(file, csvOptions(), 2, consumer, skip);
    const single = await readBlocks(file, csvOptions(), 1, consumer, skip);
    assert.deepEqual(split, single, `skipBadRows ${skip}`);
    assert.equal(split.filter((l) => l.startsWith("skipped")).length, Math.min(skip, 3));
  }
});

test("trimmed fields and missing markers read alike split or not, up to a file with no final line break", async () => {
  const text = awkwardCsv(5000, "\n", 4).replaceAll(",", ", ").replaceAll(", ,", ", ?,").trimEnd();
  const file = fixture(dir, "trimmed.csv", text);
  const opts = csvOptions({ trim: true, missing: ["?", ""] });
  const before = { ...splitCounts };
  const split = await readBlocks(file, opts, 2, consumer);
  assert.ok(splitCounts.taken > before.taken);
  assert.deepEqual(split, await readBlocks(file, opts, 1, consumer));
});

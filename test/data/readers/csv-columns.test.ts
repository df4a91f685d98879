import { test } from "node:test";
import assert from "node:assert/strict";
import { HASH_SEED, murmur3StringInt32 } from "../../../src/portable/hash.js";
import type { RawRecord, RawValue, ReadOptions } from "../../../src/data/record.js";
import { BadRowBudget } from "../../../src/data/readers/bad-rows.js";
import { readCsv, readCsvBlocks } from "../../../src/data/readers/csv.js";
import { csvOptions, fixture, tempFolder } from "./helpers.js";

const dir = tempFolder("csv-columns");

/** Every field of every block, as value(), number() and hash() give it, with its line. */
async function blockRows(file: string, opts: ReadOptions, numbers: Set<string>, columns: Set<string>) {
  const rows: { line: number; fields: Record<string, RawValue>; numbers: Record<string, number>; hashes: Record<string, number> }[] = [];
  for await (const { columns: block, from, to } of readCsvBlocks(file, opts, new BadRowBudget({}), { numbers, columns })) {
    for (let r = from; r < to; r++) {
      const row = { line: block.lines[r]!, fields: {} as Record<string, RawValue>, numbers: {} as Record<string, number>, hashes: {} as Record<string, number> };
      for (const name of columns) {
        const k = block.column(name);
        row.fields[name] = block.value(r, k, numbers.has(name));
        row.numbers[name] = block.number(r, k);
        row.hashes[name] = block.hash(r, k, HASH_SEED);
      }
      rows.push(row);
    }
  }
  return rows;
}

async function records(file: string, opts: ReadOptions, numbers: Set<string>, columns: Set<string>): Promise<RawRecord[]> {
  const out: RawRecord[] = [];
  for await (const r of readCsv(file, opts, new BadRowBudget({}), { numbers, columns })) out.push(r);
  return out;
}

/** Fields that stress the block reader: multi-byte characters, quotes, line breaks in quotes, blanks, missing markers, numbers that are not plain. */
function content(rows: number, shift: number): string {
  const texts = ["é", "日本語", `"a,b"`, `"say ""hi"""`, `"two\nlines"`, " pad ", "?", "", "plain", "€uro", `"?"`, "y\u00a0", "\u00a0z"];
  const nums = ["1", "-2.5", "1e3", " 7 ", `"8"`, "?", "", "abc", "1e39", "0x10", "3.14159265358979323846"];
  const unquoted = ["é", "日本語", " pad ", "plain", "€uro", "y\u00a0", ""];
  const lines = ["t,n,skip,u"];
  for (let i = 0; i < rows; i++) lines.push(`${"x".repeat(i === 0 ? shift : 0)}${texts[i % texts.length]},${nums[i % nums.length]},${i},${unquoted[(i * 7) % unquoted.length]}${i % 3 === 0 ? "" : i}`);
  return `${lines.join("\n")}\n`;
}

test("a block's fields are the record reader's values, across chunk boundaries and inside multi-byte characters", async () => {
  const numbers = new Set(["n"]);
  const columns = new Set(["t", "n", "u"]);
  for (const [shift, trim] of [[0, false], [1, false], [2, true], [3, false]] as const) {
    const opts = csvOptions({ missing: ["?", ""], trim });
    const file = fixture(dir, `stress-${shift}.csv`, content(6000, shift));
    const expected = await records(file, opts, numbers, columns);
    const got = await blockRows(file, opts, numbers, columns);
    assert.equal(got.length, 6000);
    assert.deepEqual(
      got.map((r) => ({ line: r.line, fields: r.fields })),
      expected,
    );
    for (const row of got) {
      for (const name of columns) {
        const value = row.fields[name]!;
        // number() is the value of a number column when it is a number, else NaN.
        const n = row.numbers[name]!;
        if (n === n) assert.equal(value, n);
        else if (numbers.has(name)) assert.notEqual(typeof value, "number");
        // In a text column, hash() is the hash of the value whenever it answers, and it answers for every present value that is its bytes (no doubled quotes) with no blank at either end (a "y" was trimmed of a no-break space: its text is not its bytes).
        const h = row.hashes[name]!;
        if (numbers.has(name)) continue;
        if (h === h) assert.equal(h, murmur3StringInt32(String(value), HASH_SEED), JSON.stringify(value));
        else if (typeof value === "string" && /^[!-~].*[!-~]$|^[!-~]$/su.test(value) && !value.includes('"') && value !== "?" && !value.startsWith("y")) assert.fail(`no hash for plain ${JSON.stringify(value)}`);
      }
    }
  }
});

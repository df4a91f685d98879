import { spawn } from "node:child_process";
import { createWriteStream, statSync } from "node:fs";
import { once } from "node:events";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { csvOptions, tempFolder } from "./helpers.js";

const TARGET_BYTES = 200 * 1024 * 1024;

/**
 * The old generation of the reading process is capped well below the file
 * size: a reader that kept rows (or whole chunks) alive would die of
 * "heap out of memory" rather than merely show a high sample.
 */
const OLD_SPACE_MB = 24;

/** Wide-ish text fields keep the row count (and so the test's run time) moderate for the byte size. */
const TITLES = ["a fairly long product title, quoted because it has a comma", "another title without commas but with some length to it"].map((t) =>
  t.includes(",") ? `"${t}"` : t,
);

/** Writes a CSV of at least `bytes` bytes in large blocks, honouring the stream's backpressure. */
async function writeBigCsv(file: string, bytes: number): Promise<number> {
  const out = createWriteStream(file);
  out.write("id,user,item,price,category,hist,title,click,purchase\n");
  let written = 0;
  let row = 0;
  while (written < bytes) {
    const block: string[] = [];
    for (let k = 0; k < 20_000; k++, row++) {
      block.push(`${row},user_${row % 100_003},item_${(row * 7) % 500_009},${((row % 1000) * 0.37).toFixed(2)},cat_${row % 50},"h${row % 13}|h${row % 17}|h${row % 19}",${TITLES[row % TITLES.length]},${row % 2},${row % 5 === 0 ? 1 : 0}\n`);
    }
    const text = block.join("");
    written += Buffer.byteLength(text);
    if (!out.write(text)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
  return row;
}

interface ChildReport {
  count: number;
  lastLine: number;
  peakHeap: number;
  peakBuffers: number;
  seconds: number;
}

test("streaming a ~200 MB CSV keeps the heap far below the file size", async (t) => {
  const dir = tempFolder("memory");
  const file = join(dir, "big.csv");
  const rows = await writeBigCsv(file, TARGET_BYTES);
  const size = statSync(file).size;

  // heapUsed is sampled during iteration in a fresh process with a small heap cap.
  const reader = new URL("../../../src/data/readers/index.js", import.meta.url).href;
  const script = `
    import { readRecords } from ${JSON.stringify(reader)};
    const t0 = performance.now();
    let count = 0, lastLine = 0, peakHeap = 0, peakBuffers = 0;
    for await (const r of readRecords(${JSON.stringify(file)}, ${JSON.stringify(csvOptions())})) {
      count++;
      lastLine = r.line;
      if (count % 10000 === 0) {
        const m = process.memoryUsage();
        if (m.heapUsed > peakHeap) peakHeap = m.heapUsed;
        if (m.arrayBuffers > peakBuffers) peakBuffers = m.arrayBuffers;
      }
    }
    console.log(JSON.stringify({ count, lastLine, peakHeap, peakBuffers, seconds: (performance.now() - t0) / 1000 }));`;
  const child = spawn(process.execPath, [`--max-old-space-size=${OLD_SPACE_MB}`, "--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
  child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
  const [code] = (await once(child, "exit")) as [number | null];
  assert.equal(code, 0, `the reading process failed (out of memory?):\n${stderr.slice(-2000)}`);

  const report = JSON.parse(stdout.trim()) as ChildReport;
  assert.equal(report.count, rows);
  assert.equal(report.lastLine, rows + 1);
  const mb = (n: number): string => `${(n / 2 ** 20).toFixed(1)} MB`;
  const detail = `file ${mb(size)}, ${rows} rows in ${report.seconds.toFixed(1)} s, peak heap ${mb(report.peakHeap)}, peak buffers ${mb(report.peakBuffers)}`;
  t.diagnostic(detail);
  assert.ok(report.peakHeap < size / 4, `heap grew with the file: ${detail}`);
  assert.ok(report.peakBuffers < size / 16, `buffers grew with the file: ${detail}`);
});

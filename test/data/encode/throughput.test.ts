import { test } from "node:test";
import assert from "node:assert/strict";
import { createEncoder, fitEncoding } from "../../../src/data/encode/index.js";
import type { RawRecord } from "../../../src/data/record.js";
import { binaryTask, hashFeature, label, model, numericFeature } from "./fixtures.js";

/** A deterministic generator, so every run measures the same data. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * Criteo-shaped rows as the CSV reader hands them over: 13 integer columns as
 * text (about 1 in 8 missing) and 26 hashed ids as 8-digit hex strings drawn
 * with a heavy head, as click logs are. Every string is its own object, as
 * the reader's would be, so no hash is computed once and reused by V8.
 */
function criteoRows(count: number): RawRecord[] {
  const random = lcg(7);
  const rows: RawRecord[] = [];
  for (let r = 0; r < count; r++) {
    const fields: Record<string, string | null> = { label: random() < 0.25 ? "1" : "0" };
    for (let i = 1; i <= 13; i++) fields[`I${i}`] = random() < 0.12 ? null : String(Math.floor(random() ** 3 * 5000));
    for (let c = 1; c <= 26; c++) {
      const id = Math.floor(random() ** 4 * 200_000) * 2654435761;
      fields[`C${c}`] = random() < 0.04 ? null : ((id ^ c) >>> 0).toString(16).padStart(8, "0");
    }
    rows.push({ line: r + 2, fields });
  }
  return rows;
}

test("throughput: 26 categorical + 13 numeric features and a label (printed, not asserted)", async (t) => {
  const features = [
    ...Array.from({ length: 13 }, (_, i) => numericFeature(`I${i + 1}`, { transform: "log1p", normalize: "zscore", fill: "mean" })),
    ...Array.from({ length: 26 }, (_, i) => hashFeature(`C${i + 1}`, 100_000)),
  ];
  const ir = model(features, [binaryTask("ctr", label("label"))]);
  const rows = criteoRows(100_000);

  let start = performance.now();
  const state = await fitEncoding(ir, rows, "criteo.csv");
  const fitRate = rows.length / ((performance.now() - start) / 1000);

  const encoder = createEncoder(ir, state);
  const batchSize = 4096;
  const encodeAll = () => {
    let encoded = 0;
    for (let i = 0; i < rows.length; i += batchSize) encoded += encoder.encodeBatch(rows.slice(i, i + batchSize), "criteo.csv").size;
    return encoded;
  };
  // The floor any encoder pays: fetching the 40 fields of every row.
  const columns = Object.keys(rows[0]!.fields);
  const touchAll = () => {
    let sum = 0;
    for (const { fields } of rows) for (const column of columns) sum += (fields[column] as string | null)?.length ?? 0;
    return sum;
  };
  encodeAll(); // warm-up: let V8 optimise the row loop first
  touchAll();

  const passes = 3;
  const wall = performance.now();
  const cpu = process.cpuUsage();
  let encoded = 0;
  for (let p = 0; p < passes; p++) encoded += encodeAll();
  const cpuUsed = process.cpuUsage(cpu);
  const encodeRate = encoded / ((performance.now() - wall) / 1000);
  const encodeCpuRate = encoded / ((cpuUsed.user + cpuUsed.system) / 1e6);

  start = performance.now();
  for (let p = 0; p < passes; p++) touchAll();
  const touchRate = (passes * rows.length) / ((performance.now() - start) / 1000);

  assert.equal(encoded, passes * rows.length);
  const rate = (x: number) => `${Math.round(x).toLocaleString("en")} rows/s`;
  t.diagnostic(
    `encode ${rate(encodeRate)} wall, ${rate(encodeCpuRate)} per CPU second; fit ${rate(fitRate)}; ` +
      `reading the 40 fields alone ${rate(touchRate)} (26 hashed + 13 log1p/zscore numeric + 1 label, batch ${batchSize}, node ${process.version})`,
  );
});

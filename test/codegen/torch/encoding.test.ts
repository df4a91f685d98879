/**
 * The generated package's encoding.py and data.py against mtl's readers and
 * encoder: the same CSV and JSONL files must give the same fitted
 * statistics, the same ids (MurmurHash3 over UTF-8, vocabularies, sequences)
 * and the same numbers, labels and masks (a sample-weighted task's mask is its weights).
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { writeTorchPackage } from "../../../src/codegen/torch/index.js";
import { createEncoder, fitEncoding } from "../../../src/data/encode/index.js";
import { readRecords } from "../../../src/data/readers/index.js";
import type { RawRecord } from "../../../src/data/record.js";
import { readOptionsFor } from "../../../src/train/read-options.js";
import { seededRandom } from "../../helpers/random.js";
import { compileSpecText, runProbe, scratchDir, torchOrSkip } from "./torch-helpers.js";

const SPEC = `
model encodings "every encoding"

feature user  : categorical(buckets: 1000, dim: 2)
feature city  : categorical(vocab: ["paris", "東京", "café", "42"], dim: 2)
feature hist  : sequence(of: user, max_len: 3)
feature tags  : sequence(of: city, max_len: 2, sep: ";")
feature price : numeric(transform: log1p, normalize: zscore)
feature age   : numeric(transform: sqrt, normalize: minmax, fill: zero)
feature score : numeric()

input x = concat(*)
tower t = mlp(x, [2])

task click  : binary     = t label click
task buy    : binary     = t label purchase where click
task amount : regression = t label amount where click sample_weight w
`;

const USERS = ["u1", "u22", "Ünïcode", "東京タワー", "emoji 😀", "", "a,b", 'say "hi"', "x".repeat(37)];
const CITIES = ["paris", "東京", "café", "berlin", "42"];
const NUMBERS = ["1", "2.5", " 3 ", "1e3", ".5", "-0", "0", "12.25", "7e-3", "?", "NA", ""];

function csvField(text: string): string {
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function csvRows(random: () => number): string {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const lines = ["user,city,hist,tags,price,age,score,click,purchase,amount,w"];
  for (let i = 0; i < 120; i++) {
    const click = random() < 0.5 ? pick(["1", "true", "TRUE"]) : pick(["0", "false"]);
    const clicked = click !== "0" && click !== "false";
    const hist = Array.from({ length: Math.floor(random() * 6) }, () => pick(USERS.filter((u) => !/[|,"]/.test(u)))).join("|");
    const tags = pick(["paris;berlin", "東京", ";;café;", "", "42;paris;東京"]);
    const purchase = clicked ? pick(["0", "1"]) : pick(["", "0"]);
    const amount = clicked ? pick(["0", "12.5", "3"]) : pick(["", "?"]);
    // A weight may be missing only where the task's `where` is 0.
    const w = clicked ? pick(["0.5", "2", "0", "1e1", " 3 "]) : pick(["", "3", "NA"]);
    lines.push([pick(USERS), pick(CITIES), hist, tags, pick(NUMBERS), pick(NUMBERS), pick(NUMBERS), click, purchase, amount, w].map(csvField).join(","));
  }
  return lines.join("\n") + "\n";
}

function jsonlRows(random: () => number): string {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const values = [42, 42.0, 1.5, 1e21, 1e-7, 0.1, -3, true, false, null, "u1", "東京", 123456789012, 2.5e-5];
  const lines: string[] = [];
  for (let i = 0; i < 80; i++) {
    const clicked = random() < 0.5;
    lines.push(
      JSON.stringify({
        user: pick(values),
        city: pick([...CITIES, 42, null]),
        hist: pick([[1, "u1", null, 42, ""], "u1|u2", [], null, [true, 0.5]]),
        tags: pick([["paris", "café"], "東京;42", null]),
        price: pick([1, 2.5, 1000, null, "3.5", "NA"]),
        age: pick([4, 9, 0.25, null, true]),
        score: pick([-2, 0, 7.5, null]),
        click: clicked ? pick([1, true, "1"]) : pick([0, false]),
        purchase: clicked ? pick([0, 1]) : null,
        amount: clicked ? pick([0, 4.5]) : null,
        w: clicked ? pick([0.5, 2, 0, "1.5"]) : pick([null, 1]),
      }),
    );
  }
  return lines.join("\n") + "\n";
}

async function mtlSide(file: string, ir: ReturnType<typeof compileSpecText>) {
  const records: RawRecord[] = [];
  for await (const r of readRecords(file, readOptionsFor(file, ir.data))) records.push(r);
  const state = await fitEncoding(ir, records, file);
  return { state, batch: createEncoder(ir, state).encodeBatch(records, file) };
}

test("encoding.py fits the same statistics and encodes the same ids and numbers as mtl, on CSV and JSONL", async (t) => {
  const python = torchOrSkip(t);
  if (python === null) return;
  const ir = compileSpecText(SPEC, "encodings.mtl");
  const dir = scratchDir("encoding");
  await writeTorchPackage(join(dir, "package"), ir, SPEC);
  const random = seededRandom(11);
  const files = [join(dir, "rows.csv"), join(dir, "rows.jsonl")];
  writeFileSync(files[0]!, csvRows(random));
  writeFileSync(files[1]!, jsonlRows(random));
  const { encoded } = runProbe(python, { encode: files.map((file) => ({ package: join(dir, "package"), file })) }) as {
    encoded: { state: { rows: number; features: Record<string, Record<string, unknown>> }; features: Record<string, number[]>; labels: Record<string, number[]>; masks: Record<string, number[]> }[];
  };
  for (const [i, file] of files.entries()) {
    const ours = await mtlSide(file, ir);
    const theirs = encoded[i]!;
    assert.equal(theirs.state.rows, ours.state.rows, `${file}: rows`);
    for (const [name, stats] of Object.entries(ours.state.features)) {
      for (const [key, value] of Object.entries(stats)) {
        const other = theirs.state.features[name]![key];
        if (typeof value === "number") assert.ok(Math.abs(value - (other as number)) <= 1e-12 * Math.max(1, Math.abs(value)), `${file}: ${name}.${key}: ${value} (mtl) vs ${other}`);
        else assert.equal(other, value, `${file}: ${name}.${key}`);
      }
    }
    for (const [name, values] of Object.entries(ours.batch.features)) {
      const other = theirs.features[name]!;
      if (values instanceof Int32Array) assert.deepEqual(other, [...values], `${file}: ids of '${name}'`);
      else assert.deepEqual(Float32Array.from(other), values, `${file}: numbers of '${name}'`);
    }
    for (const [name, values] of Object.entries(ours.batch.labels)) assert.deepEqual(Float32Array.from(theirs.labels[name]!), values, `${file}: labels of '${name}'`);
    for (const [name, values] of Object.entries(ours.batch.masks)) assert.deepEqual(Float32Array.from(theirs.masks[name]!), values, `${file}: mask of '${name}'`);
    assert.deepEqual(Object.keys(theirs.features).sort(), Object.keys(ours.batch.features).sort());
  }
});

/**
 * `mtl generate`, `mtl train` and `mtl eval` end to end, through the compiled
 * CLI. The data are small (3,000 + 500 rows) and training is capped with
 * --max-steps, so the file stays fast; the three trainings shared by most
 * tests run once, in `before`.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { assertNoCrash, assertUsageError, tempDir, type CliResult } from "../helpers/cli.js";
import { CENSUS_HEAD_FILE } from "../../src/experiments/census/data-files.js";
import { cliFrom, repoRoot } from "../helpers/paths.js";
import { assertOk, ESMM_COLUMNS, ESMM_TASKS, fingerprint, linesOf, runCliAsync } from "../helpers/train-cli.js";

const cli = cliFrom(import.meta.url);
const esmmSpec = join(repoRoot(), "specs", "esmm.mtl");
const { dir } = tempDir("train-cli");
const mtl = (args: readonly string[]): Promise<CliResult> => runCliAsync(cli, args, { cwd: dir });

const FORMATS = ["csv", "jsonl", "parquet"] as const;
type Format = (typeof FORMATS)[number];

/** The generate and train runs the tests below look at, per format. */
const generated = {} as Record<Format, CliResult>;
const trained = {} as Record<Format, CliResult>;
const modelDir = (format: Format) => join(dir, `model-${format}`);

/** The metrics table rows (task name first) printed in `text`, for the tasks of esmm.mtl. */
function metricsTables(text: string): { header: string; rows: Map<string, string[]> }[] {
  const lines = text.split("\n");
  const tables: { header: string; rows: Map<string, string[]> }[] = [];
  lines.forEach((line, i) => {
    if (!/^task\s+scored on\s+rows\s+AUC\s+log loss/.test(line)) return;
    const rows = new Map<string, string[]>();
    for (const row of lines.slice(i + 2)) {
      const cells = row.trim().split(/\s{2,}/);
      if (!ESMM_TASKS.includes(cells[0] as (typeof ESMM_TASKS)[number])) break;
      rows.set(cells[0]!, cells);
    }
    tables.push({ header: line, rows });
  });
  return tables;
}

/** Tests overlap two CLI runs at a time (each spends most of a second starting up). */
describe("mtl generate / train / eval", { concurrency: 2 }, () => {
  before(async () => {
    await Promise.all(
      FORMATS.map(async (format) => {
        generated[format] = await mtl(["generate", "esmm", "--rows", "3000", "-o", `train.${format}`, "--holdout", "500", "--holdout-output", `valid.${format}`]);
      }),
    );
    await Promise.all(
      FORMATS.filter((format) => generated[format].status === 0).map(async (format) => {
        // The parquet run is --quiet: the test of --quiet looks at it.
        const quiet = format === "parquet" ? ["--quiet"] : [];
        trained[format] = await mtl(["train", esmmSpec, "--data", `train.${format}`, "--valid", `valid.${format}`, "--out", modelDir(format), "--max-steps", "30", ...quiet]);
      }),
    );
  });

  test("generate esmm writes the documented columns, the requested rows, and a holdout file", async () => {
    for (const format of FORMATS) {
      assertOk(generated[format], `generate ${format}`);
      assert.ok(existsSync(join(dir, `train.${format}`)) && existsSync(join(dir, `valid.${format}`)), `generate ${format}: both files should exist`);
    }
    for (const [file, rows] of [
      ["train.csv", 3000],
      ["valid.csv", 500],
    ] as const) {
      const lines = readFileSync(join(dir, file), "utf8").split("\n");
      assert.equal(lines.at(-1), "", `${file} should end with a line break`);
      assert.deepEqual(lines[0]!.split(","), [...ESMM_COLUMNS], `${file}: header`);
      const data = lines.slice(1, -1).map((l) => l.split(","));
      assert.equal(data.length, rows, `${file}: data rows`);
      const col = (name: string) => ESMM_COLUMNS.indexOf(name as (typeof ESMM_COLUMNS)[number]);
      for (const [i, r] of data.entries()) {
        assert.equal(r.length, ESMM_COLUMNS.length, `${file}:${i + 2}: field count`);
        assert.ok(["0", "1"].includes(r[col("click")]!) && ["0", "1"].includes(r[col("purchase")]!), `${file}:${i + 2}: labels should be 0/1`);
        // purchase = click and buy: no purchase without a click.
        if (r[col("purchase")] === "1") assert.equal(r[col("click")], "1", `${file}:${i + 2}: a purchase without a click`);
      }
      assert.ok(
        data.some((r) => r[col("click")] === "1"),
        `${file}: no clicks at all`,
      );
    }
    const jsonl = readFileSync(join(dir, "train.jsonl"), "utf8").trimEnd().split("\n");
    assert.equal(jsonl.length, 3000, "train.jsonl: records");
    assert.deepEqual(Object.keys(JSON.parse(jsonl[0]!) as object), [...ESMM_COLUMNS], "train.jsonl: field names");
    assert.equal(readFileSync(join(dir, "train.parquet")).subarray(0, 4).toString("latin1"), "PAR1", "train.parquet: parquet magic");
  });

  test("train on CSV: exit 0, the backend on stderr, a per-task metrics table, and a complete model folder", async () => {
    const result = trained.csv;
    assertOk(result, "train csv");
    // Without tfjs-node (not a dependency), the default is wasm: "backend: wasm (tfjs-node not installed)".
    assert.match(result.stderr, /^backend: wasm\b.*$/m, `stderr should say which backend was used:\n${result.stderr}`);
    const tables = metricsTables(result.stdout + "\n" + result.stderr);
    assert.ok(tables.length >= 1, `no metrics table printed:\n${result.stderr}`);
    const last = tables.at(-1)!;
    assert.deepEqual([...last.rows.keys()], [...ESMM_TASKS], "the metrics table should have a row per task");
    for (const [task, cells] of last.rows) {
      const [auc, logLoss] = [Number(cells[3]), Number(cells[4])];
      // AUC is "n/a" only when a task has no positive (or no negative) among its scored rows; ctr always has both.
      if (task === "ctr" || cells[3] !== "n/a") assert.ok(auc >= 0 && auc <= 1, `${task}: AUC '${cells[3]}'`);
      assert.ok(logLoss > 0 && Number.isFinite(logLoss), `${task}: log loss '${cells[4]}'`);
    }

    const out = modelDir("csv");
    const files = readdirSync(out);
    for (const name of ["model.json", "encoding.json", "ir.json", "spec.mtl", "metrics.json", "manifest.json"]) {
      assert.ok(files.includes(name), `${name} missing from the model folder (has: ${files.join(", ")})`);
    }
    const modelJson = JSON.parse(readFileSync(join(out, "model.json"), "utf8")) as { weightsManifest: { paths: string[] }[] };
    const weights = modelJson.weightsManifest.flatMap((g) => g.paths);
    assert.ok(weights.length >= 1, "model.json lists no weights file");
    for (const w of weights) assert.ok(files.includes(w), `weights file ${w} (listed in model.json) is missing`);
    assert.ok(!files.some((f) => f.endsWith(".tmp") || f.startsWith(".")), `temporary files left behind: ${files.join(", ")}`);
    assert.equal(readFileSync(join(out, "spec.mtl"), "utf8"), readFileSync(esmmSpec, "utf8"), "spec.mtl should be the trained spec");

    // The manifest covers every other file, with sizes and checksums that match.
    const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as { files: Record<string, { bytes: number; sha256: string }> };
    assert.deepEqual(Object.keys(manifest.files).sort(), files.filter((f) => f !== "manifest.json").sort(), "manifest.json should list every file of the folder");
    for (const [name, entry] of Object.entries(manifest.files)) assert.deepEqual(fingerprint(join(out, name)), { bytes: entry.bytes, sha256: entry.sha256 }, `manifest entry of ${name}`);

    const metrics = JSON.parse(readFileSync(join(out, "metrics.json"), "utf8")) as Record<string, { count: number; auc: number | null; logLoss: number | null }>;
    assert.deepEqual(Object.keys(metrics), [...ESMM_TASKS], "metrics.json: one entry per task");
    assert.equal(metrics["ctr"]!.count, 500, "ctr is scored on every validation row");
    assert.equal(metrics["ctcvr"]!.count, 500, "ctcvr is scored on every validation row");
    for (const task of ESMM_TASKS) {
      const m = metrics[task]!;
      assert.ok(typeof m.logLoss === "number" && m.logLoss > 0, `metrics.json ${task}.logLoss = ${m.logLoss}`);
    }
    // The table printed last is the final metrics: the same numbers as metrics.json.
    for (const task of ESMM_TASKS) {
      const cells = last.rows.get(task)!;
      assert.equal(Number(cells[2]), metrics[task]!.count, `${task}: rows in the table vs metrics.json`);
      if (metrics[task]!.auc !== null) assert.equal(cells[3], metrics[task]!.auc!.toFixed(4), `${task}: AUC in the table vs metrics.json`);
    }
    const encoding = JSON.parse(readFileSync(join(out, "encoding.json"), "utf8")) as { rows: number };
    assert.equal(encoding.rows, 3000, "encoding.json: fitted on every training row");
  });

  test("train from JSONL and from Parquet copies of the same data gives the same model as from CSV", async () => {
    for (const format of ["jsonl", "parquet"] as const) {
      assertOk(trained[format], `train ${format}`);
      const files = readdirSync(modelDir(format));
      for (const name of ["model.json", "encoding.json", "ir.json", "spec.mtl", "metrics.json", "manifest.json"]) assert.ok(files.includes(name), `${format}: ${name} missing`);
      // Same rows, same seed: the fitted statistics and the final metrics must not depend on the file format.
      assert.equal(readFileSync(join(modelDir(format), "encoding.json"), "utf8"), readFileSync(join(modelDir("csv"), "encoding.json"), "utf8"), `${format}: encoding.json differs from CSV's`);
      const mine = JSON.parse(readFileSync(join(modelDir(format), "metrics.json"), "utf8")) as Record<string, Record<string, unknown>>;
      const csv = JSON.parse(readFileSync(join(modelDir("csv"), "metrics.json"), "utf8")) as Record<string, Record<string, unknown>>;
      assert.deepEqual(Object.keys(mine), [...ESMM_TASKS]);
      for (const task of ESMM_TASKS) {
        for (const [key, value] of Object.entries(csv[task]!)) {
          const other = mine[task]![key];
          if (typeof value === "number" && typeof other === "number") assert.ok(Math.abs(value - other) <= 1e-6, `${format}: ${task}.${key} = ${other}, from CSV ${value}`);
          else assert.deepEqual(other, value, `${format}: ${task}.${key}`);
        }
      }
    }
    assert.match(trained.jsonl.stderr, /read 3,000 training rows/, "train jsonl: rows read");
  });

  test("train --quiet prints only the final metrics", async () => {
    // `mtl train --help`: "-q, --quiet  print only the final metrics".
    const result = trained.parquet;
    assertOk(result, "train parquet --quiet");
    const all = result.stdout + "\n" + result.stderr;
    assert.doesNotMatch(all, /^epoch \d+\/\d+/m, "--quiet should not print per-epoch progress");
    const tables = metricsTables(all);
    assert.equal(tables.length, 1, `--quiet should print the final metrics table once; got ${tables.length} tables in:\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
    assert.deepEqual([...tables[0]!.rows.keys()], [...ESMM_TASKS]);
  });

  test("train --backend cpu uses the cpu backend and says so", async () => {
    // A small copy of the ESMM spec: the cpu backend is slow on 10,000-row embedding tables.
    writeFileSync(
      join(dir, "small.mtl"),
      [
        'model small "ESMM with small tables"',
        "feature user_id  : categorical(buckets: 64, dim: 4)",
        "feature item_id  : categorical(buckets: 64, dim: 4)",
        "feature category : categorical(buckets: 16, dim: 4)",
        "feature price    : numeric(transform: log1p, normalize: zscore)",
        "input x = concat(*)",
        "tower ctr_tower = mlp(x, [8])",
        "tower cvr_tower = mlp(x, [8])",
        "task ctr   : binary = ctr_tower label click",
        "task cvr   : binary = cvr_tower",
        "task ctcvr : binary = ctr * cvr label purchase",
        "train { batch: 256 epochs: 1 seed: 3 }",
        "",
      ].join("\n"),
    );
    const result = await mtl(["train", "small.mtl", "--data", "valid.csv", "--out", "model-cpu", "--max-steps", "2", "--backend", "cpu"]);
    assertOk(result, "train --backend cpu");
    assert.match(result.stderr, /^backend: cpu\b/m, `stderr should report the cpu backend:\n${result.stderr}`);
    assert.doesNotMatch(result.stderr, /^backend: wasm/m);
    assert.ok(existsSync(join(dir, "model-cpu", "manifest.json")), "the model should be saved");
  });

  test("train --backend node without tfjs-node: a clear one-line error saying how to install it, not a crash", async () => {
    assert.ok(!existsSync(join(repoRoot(), "node_modules", "@tensorflow", "tfjs-node")), "precondition: this test expects @tensorflow/tfjs-node not to be installed");
    const result = await mtl(["train", esmmSpec, "--data", "valid.csv", "--out", "model-node", "--max-steps", "2", "--backend", "node"]);
    assertNoCrash(result, "train --backend node");
    assert.notEqual(result.status, 0, "must fail: tfjs-node is not installed here");
    assert.ok(result.status === 1 || result.status === 2, `expected exit 1 or 2, got ${result.status}:\n${result.stderr}`);
    const lines = linesOf(result.stderr).filter((l) => l !== "(add --help for usage)");
    assert.equal(lines.length, 1, `expected a one-line message, got:\n${result.stderr}`);
    assert.match(lines[0]!, /^mtl: /);
    assert.match(lines[0]!, /tfjs-node/);
    assert.match(lines[0]!, /not installed/);
    assert.match(lines[0]!, /npm install @tensorflow\/tfjs-node/);
    assert.ok(!existsSync(join(dir, "model-node")), "no model folder should be created");
  });

  test("train with a spec that has errors: exit 1, the diagnostics, and no model folder", async () => {
    writeFileSync(join(dir, "broken.mtl"), readFileSync(esmmSpec, "utf8").replace("tower ctr_tower = mlp(x,", "tower ctr_tower = mlp(xx,"));
    const result = await mtl(["train", "broken.mtl", "--data", "train.csv", "--out", "model-broken"]);
    assertNoCrash(result, "train broken spec");
    assert.equal(result.status, 1, `expected exit 1, got ${result.status}:\n${result.stderr}`);
    assert.equal(result.stdout, "");
    assert.match(result.stderr, /broken\.mtl:\d+:\d+: error MTL2001: Cannot find 'xx'/, `the diagnostic should name the file and position:\n${result.stderr}`);
    assert.match(result.stderr, /1 error/);
    assert.doesNotMatch(result.stderr, /^backend:/m, "a spec with errors should stop before choosing a backend");
    assert.ok(!existsSync(join(dir, "model-broken")), "no model folder should be created");
  });

  test("train rejects bad numeric options as usage errors (exit 2, one line) before touching --out", async () => {
    const cases: [string[], RegExp][] = [
      [["--epochs", "0"], /--epochs/],
      [["--batch", "x"], /--batch/],
      [["--max-steps", "-3"], /--max-steps/],
    ];
    const results = await Promise.all(cases.map(([options]) => mtl(["train", esmmSpec, "--data", "valid.csv", "--out", "model-usage", ...options])));
    cases.forEach(([options, mentions], i) => assertUsageError(results[i]!, `train ${options.join(" ")}`, mentions));
    assert.ok(!existsSync(join(dir, "model-usage")), "no model folder should be created");
  });

  test("train --skip-bad-rows with a non-number is a one-line usage error, given before any work starts", async () => {
    // Like --epochs: checked up front, not after choosing a backend (which prints "backend: ..." first).
    const result = await mtl(["train", esmmSpec, "--data", "valid.csv", "--out", "model-usage-skip", "--skip-bad-rows", "two"]);
    assertUsageError(result, "train --skip-bad-rows two", /--skip-bad-rows/);
    assert.ok(!existsSync(join(dir, "model-usage-skip")), "no model folder should be created");
  });

  test("eval prints a metrics table for every task, and --json the same numbers as metrics.json", async () => {
    const [table, json] = await Promise.all([mtl(["eval", modelDir("csv"), "--data", "valid.csv"]), mtl(["eval", modelDir("csv"), "--data", "valid.csv", "--json"])]);
    assertOk(table, "eval");
    const tables = metricsTables(table.stdout);
    assert.equal(tables.length, 1, `eval should print one metrics table on stdout:\n${table.stdout}`);
    assert.deepEqual([...tables[0]!.rows.keys()], [...ESMM_TASKS]);

    assertOk(json, "eval --json");
    let parsed: Record<string, Record<string, unknown>>;
    try {
      parsed = JSON.parse(json.stdout) as Record<string, Record<string, unknown>>;
    } catch (error) {
      assert.fail(`eval --json did not print JSON (${(error as Error).message}):\n${json.stdout.slice(0, 500)}`);
    }
    assert.deepEqual(Object.keys(parsed), [...ESMM_TASKS]);
    // Training ended by evaluating this model on this file: eval must agree with metrics.json.
    const saved = JSON.parse(readFileSync(join(modelDir("csv"), "metrics.json"), "utf8")) as Record<string, Record<string, unknown>>;
    for (const task of ESMM_TASKS) {
      // metrics.json also says what its figures were measured on; this model was trained with --valid.
      const { data, ...figures } = saved[task]!;
      assert.equal(data, "validation", `${task}.data`);
      for (const [key, value] of Object.entries(figures)) {
        const got = parsed[task]![key];
        if (typeof value === "number" && typeof got === "number") assert.ok(Math.abs(value - got) <= 1e-9, `${task}.${key}: eval ${got}, metrics.json ${value}`);
        else assert.deepEqual(got, value, `${task}.${key}`);
      }
      const cells = tables[0]!.rows.get(task)!;
      assert.equal(Number(cells[2]), parsed[task]!["count"], `${task}: rows in the table vs --json`);
    }
  });

  test("census-mmoe trains on the shipped headerless census head file as is", async () => {
    const file = CENSUS_HEAD_FILE;
    assert.ok(existsSync(file), `the census data should be in the repository at ${file}`);
    const out = join(dir, "model-census");
    const result = await mtl(["train", join(repoRoot(), "specs", "census-mmoe.mtl"), "--data", file, "--out", out, "--max-steps", "20"]);
    assertOk(result, "train census-mmoe");
    assert.match(result.stderr, /read 1,891 training rows/, "every row of the head file should be read");
    const metrics = JSON.parse(readFileSync(join(out, "metrics.json"), "utf8")) as Record<string, { count: number; positives: number }>;
    assert.deepEqual(Object.keys(metrics), ["income", "marital"]);
    // Counts from SOURCE.md: the `is "50000+."` and `is "Never married"` labels were matched after trimming.
    assert.equal(metrics["income"]!.count, 1891);
    assert.equal(metrics["income"]!.positives, 102, "income > 50K rows in the head file");
    assert.equal(metrics["marital"]!.positives, 824, "never-married rows in the head file");
    assert.ok(existsSync(join(out, "manifest.json")));
  });
});

/**
 * `mtl predict` end to end, through the compiled CLI: the output's shape and
 * numbers, the output formats, label-free input, and damaged model folders.
 * One small model is trained once, in `before`.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cpSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { assertNoCrash, tempDir, type CliResult } from "../helpers/cli.js";
import { characterDevice, fifo } from "../helpers/devices.js";
import { cliFrom, repoRoot } from "../helpers/paths.js";
import { assertOk, ESMM_TASKS, parsePredictionCsv, parsePredictionJsonl, withoutColumns, runCliAsync, assertOneLineError } from "../helpers/train-cli.js";

const cli = cliFrom(import.meta.url);
const { dir } = tempDir("predict-cli");
const mtl = (args: readonly string[]): Promise<CliResult> => runCliAsync(cli, args, { cwd: dir });
const MODEL = "model";
const VALID_ROWS = 400;

let setup: CliResult[] = [];
/** `mtl predict model --data valid.csv` to stdout, the reference the other tests compare with. */
let reference: CliResult;

/** Tests overlap two CLI runs at a time (each spends most of a second starting up). */
describe("mtl predict", { concurrency: 2 }, () => {
  before(async () => {
    setup = [
      await mtl(["generate", "esmm", "--rows", "2000", "-o", "train.csv", "--holdout", String(VALID_ROWS), "--holdout-output", "valid.csv", "--seed", "11"]),
      await mtl(["train", join(repoRoot(), "specs", "esmm.mtl"), "--data", "train.csv", "--out", MODEL, "--epochs", "1", "--max-steps", "4", "--quiet"]),
    ];
    reference = await mtl(["predict", MODEL, "--data", "valid.csv"]);
  });

  function assertSetup(): void {
    assertOk(setup[0]!, "generate");
    assertOk(setup[1]!, "train");
  }

  /** A copy of the trained model folder, to damage. */
  function copyOfModel(name: string): string {
    const copy = join(dir, name);
    rmSync(copy, { recursive: true, force: true });
    cpSync(join(dir, MODEL), copy, { recursive: true });
    return copy;
  }

  /** Exit 1, nothing on stdout, one "mtl: error: ..." line naming `mentions`; no stack trace. */
  test("predict writes CSV to stdout: a column per task, one row per input row, probabilities with ctcvr = ctr * cvr", async () => {
    assertSetup();
    assertOk(reference, "predict");
    const { header, rows } = parsePredictionCsv(reference.stdout);
    assert.deepEqual(header, [...ESMM_TASKS], "header");
    assert.equal(rows.length, VALID_ROWS, "one output row per input row");
    rows.forEach((row, i) => {
      const [ctr, cvr, ctcvr] = row as [number, number, number];
      for (const [task, p] of [
        ["ctr", ctr],
        ["cvr", cvr],
        ["ctcvr", ctcvr],
      ] as const) {
        assert.ok(p !== null && p >= 0 && p <= 1, `row ${i + 1}: ${task} = ${p} is not a probability`);
      }
      // The product is computed in float32: allow float32 rounding only.
      const product = ctr * cvr;
      assert.ok(Math.abs(ctcvr - product) <= 1e-6 * Math.max(product, Number.MIN_VALUE), `row ${i + 1}: ctcvr ${ctcvr} != ctr ${ctr} * cvr ${cvr} = ${product}`);
    });
    // A trained model does not give every row the same score.
    assert.ok(new Set(rows.map((r) => r[0])).size > 1, "every row got the same ctr");
  });

  test("predict -o out.jsonl writes JSONL with the same numbers as the CSV, atomically", async () => {
    assertSetup();
    mkdirSync(join(dir, "jsonl-out"), { recursive: true });
    const result = await mtl(["predict", MODEL, "--data", "valid.csv", "-o", join("jsonl-out", "out.jsonl")]);
    assertOk(result, "predict -o out.jsonl");
    assert.equal(result.stdout, "", "with -o nothing goes to stdout");
    assert.deepEqual(readdirSync(join(dir, "jsonl-out")), ["out.jsonl"], "only the output file, no temp file left behind");
    const records = parsePredictionJsonl(readFileSync(join(dir, "jsonl-out", "out.jsonl"), "utf8"));
    const { rows } = parsePredictionCsv(reference.stdout);
    assert.equal(records.length, rows.length, "one record per input row");
    records.forEach((r, i) => {
      assert.deepEqual(Object.keys(r), [...ESMM_TASKS], `record ${i + 1}: keys`);
      assert.deepEqual(
        ESMM_TASKS.map((t) => r[t]),
        rows[i],
        `record ${i + 1}: JSONL and CSV outputs differ`,
      );
    });
  });

  test("predict --output-format jsonl writes JSONL to stdout", async () => {
    assertSetup();
    const result = await mtl(["predict", MODEL, "--data", "valid.csv", "--output-format", "jsonl"]);
    assertOk(result, "predict --output-format jsonl");
    const records = parsePredictionJsonl(result.stdout);
    const { rows } = parsePredictionCsv(reference.stdout);
    assert.deepEqual(
      records.map((r) => ESMM_TASKS.map((t) => r[t])),
      rows,
      "the JSONL on stdout should hold the CSV's numbers",
    );
  });

  test("predict on rows without the label and ground-truth columns gives the same scores", async () => {
    assertSetup();
    const unlabelled = withoutColumns(readFileSync(join(dir, "valid.csv"), "utf8"), ["click", "purchase", "amount", "true_ctr", "true_cvr", "true_ctcvr", "true_amount", "buy_if_clicked"]);
    assert.equal(unlabelled.split("\n")[0], "user_id,item_id,category,price,user_age");
    writeFileSync(join(dir, "unlabelled.csv"), unlabelled);
    const result = await mtl(["predict", MODEL, "--data", "unlabelled.csv"]);
    assertOk(result, "predict without labels");
    assert.equal(result.stdout, reference.stdout, "labels must not change the predictions");
  });

  test("predict refuses a model folder whose weights file was truncated, naming the file", async () => {
    assertSetup();
    const copy = copyOfModel("model-truncated");
    const weights = readdirSync(copy).filter((f) => f.endsWith(".bin"));
    assert.equal(weights.length, 1, `expected one weights file, got ${weights.join(", ")}`);
    truncateSync(join(copy, weights[0]!), 1000);
    assertOneLineError(await mtl(["predict", "model-truncated", "--data", "valid.csv"]), "truncated weights", weights[0]!, /truncated/);
  });

  test("predict refuses a model folder whose encoding.json was edited, naming the file", async () => {
    assertSetup();
    const copy = copyOfModel("model-edited");
    const path = join(copy, "encoding.json");
    const text = readFileSync(path, "utf8");
    // Same length, different statistics: only the checksum can tell.
    const edited = text.replace(/"mean": (-?)(\d)/, (_m, sign: string, d: string) => `"mean": ${sign}${(Number(d) + 1) % 10}`);
    assert.notEqual(edited, text, "encoding.json should have a mean to edit");
    assert.equal(edited.length, text.length);
    writeFileSync(path, edited);
    assertOneLineError(await mtl(["predict", "model-edited", "--data", "valid.csv"]), "edited encoding.json", "encoding.json");
  });

  test("predict refuses a model folder without manifest.json, naming the file", async () => {
    assertSetup();
    const copy = copyOfModel("model-no-manifest");
    rmSync(join(copy, "manifest.json"));
    assertOneLineError(await mtl(["predict", "model-no-manifest", "--data", "valid.csv"]), "missing manifest", "manifest.json", /missing/);
  });

  test("predict with something that is not a model folder fails clearly", async () => {
    assertSetup();
    mkdirSync(join(dir, "not-a-model"), { recursive: true });
    writeFileSync(join(dir, "not-a-model", "notes.txt"), "hello\n");
    const cases: [string, string][] = [
      ["not-a-model", "a folder of other files"],
      ["valid.csv", "a data file"],
      ["no-such-folder", "a path that does not exist"],
    ];
    const results = await Promise.all(cases.map(([target]) => mtl(["predict", target, "--data", "valid.csv"])));
    cases.forEach(([target, what], i) => {
      const line = assertOneLineError(results[i]!, `predict on ${what}`, target);
      assert.match(line, /mtl train/, `${what}: the message should say a model folder comes from 'mtl train':\n${line}`);
    });
  });

  test("predict that stops on a bad row leaves no output file and no temp file", async () => {
    assertSetup();
    const lines = readFileSync(join(dir, "valid.csv"), "utf8").split("\n");
    lines[5] += ",extra";
    writeFileSync(join(dir, "bad-valid.csv"), lines.join("\n"));
    mkdirSync(join(dir, "failed-out"), { recursive: true });
    const result = await mtl(["predict", MODEL, "--data", "bad-valid.csv", "-o", join("failed-out", "out.csv")]);
    assertNoCrash(result, "predict on a bad row");
    assert.equal(result.status, 1, `expected exit 1:\n${result.stderr}`);
    assert.match(result.stderr, /^bad-valid\.csv:6: error: /m);
    assert.deepEqual(readdirSync(join(dir, "failed-out")), [], "no partial output and no temp file");
  });

  // Links to files outside the folder: test/model-dir/file-manifest.test.ts.
  test("predict refuses a weights file that is not the folder's own regular file, at once: a link to /dev/zero, a FIFO, a 3 GB file", async () => {
    assertSetup();
    const weights = readdirSync(join(dir, MODEL)).find((f) => f.endsWith(".bin"))!;
    const damage: [string, (path: string) => void, RegExp][] = [
      ["a link to /dev/zero", (path) => symlinkSync("/dev/zero", path), /is a symbolic link/],
      ["a FIFO", (path) => fifo(path), /is a FIFO/],
      ["a 3 GB file", (path) => (writeFileSync(path, ""), truncateSync(path, 3 * 2 ** 30)), /has 3221225472 bytes, the manifest says \d+/],
    ];
    for (const [what, spoil, message] of damage) {
      const copy = copyOfModel(`model-${what.replace(/\W+/g, "-")}`);
      rmSync(join(copy, weights));
      spoil(join(copy, weights));
      // Before, these read 24 GB, hung forever, or failed with an internal error: a hang now fails the test (runCli's timeout).
      assertOneLineError(await mtl(["predict", copy, "--data", "valid.csv"]), what, weights, message);
    }
  });

  test("predict -o refuses an output that is the input (by any name) or inside the model folder", async () => {
    assertSetup();
    symlinkSync("valid.csv", join(dir, "valid-link.csv"));
    const before = readFileSync(join(dir, "valid.csv"));
    const cases: [string[], RegExp][] = [
      [["--data", "valid.csv", "-o", "./valid.csv"], /--output \.\/valid\.csv and --data valid\.csv are the same file: the input would be lost/],
      [["--data", "valid-link.csv", "-o", "valid.csv"], /--output valid\.csv and --data valid-link\.csv are the same file/],
      [["--data", "valid.csv", "-o", join(MODEL, "model.json")], /--output model\/model\.json is inside the model folder model/],
    ];
    const results = await Promise.all(cases.map(([args]) => mtl(["predict", MODEL, ...args])));
    cases.forEach(([args, message], i) => {
      const result = results[i]!;
      assertNoCrash(result, args.join(" "));
      assert.equal(result.status, 2, `${args.join(" ")}: expected exit 2:\n${result.stderr}`);
      assert.match(result.stderr, message);
      assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
    });
    assert.deepEqual(readFileSync(join(dir, "valid.csv")), before, "the input is intact");
    assert.equal(statSync(join(dir, MODEL, "model.json")).isFile(), true);
  });

  test("predict -o writes through a link, into a device or FIFO in place, and says a folder is a folder", async () => {
    assertSetup();
    writeFileSync(join(dir, "target.csv"), "old\n");
    symlinkSync("target.csv", join(dir, "out-link.csv"));
    const devNull = characterDevice(dir, "null");
    const devFull = characterDevice(dir, "full");
    const pipe = fifo(join(dir, "out.fifo"));
    const reader = spawn("cat", [pipe], { stdio: ["ignore", "pipe", "inherit"] });
    const piped: Buffer[] = [];
    reader.stdout.on("data", (b: Buffer) => piped.push(b));
    const readerDone = new Promise((resolve) => reader.once("close", resolve));
    const predictTo = (output: string) => mtl(["predict", MODEL, "--data", "valid.csv", "-o", output]);
    const toPipe = await predictTo(pipe);
    // Had predict not opened the FIFO, its reader would wait forever.
    if (toPipe.status !== 0) reader.kill();
    await readerDone;
    const [link, toNull, toFull, toFolder] = [await predictTo("out-link.csv"), await predictTo(devNull), await predictTo(devFull), await predictTo(".")];
    assertOk(link!, "-o link");
    assert.ok(lstatSync(join(dir, "out-link.csv")).isSymbolicLink(), "the link stays a link");
    assert.equal(readFileSync(join(dir, "target.csv"), "utf8"), reference.stdout, "its target gets the predictions");
    assertOk(toNull!, "-o null device");
    assert.ok(statSync(devNull).isCharacterDevice(), "the device stays a device");
    assertNoCrash(toFull!, "-o full device");
    assert.equal(toFull!.status, 1, toFull!.stderr);
    assert.match(toFull!.stderr, /disk is full/);
    assert.ok(statSync(devFull).isCharacterDevice(), "the device stays a device");
    assertOk(toPipe, "-o FIFO");
    assert.equal(Buffer.concat(piped).toString("utf8"), reference.stdout, "the FIFO's reader gets the predictions");
    assert.ok(statSync(pipe).isFIFO());
    assertNoCrash(toFolder!, "-o .");
    assert.match(toFolder!.stderr, /the output path is a folder/);
    assert.doesNotMatch(toFolder!.stderr, /EBUSY|rename|\.tmp/);
  });
});

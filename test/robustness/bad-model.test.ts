/**
 * Damaged or mismatched model folders, through the compiled CLI, for every
 * command that reads one: `mtl predict DIR`, `mtl eval DIR` and
 * `mtl compile SPEC --target ts --model DIR`.
 *
 * Each must fail with exit 1 and one "mtl: error: ..." line naming the file
 * (and saying what to do), never predict, evaluate or embed anything from
 * the damaged folder, print no stack trace, and leave no output file.
 *
 * `predict` and `eval` take no spec: they serve the ir.json in the folder, so
 * "a folder written for a different spec" can only reach them as files mixed
 * from different trainings, which the manifest's checksums (or, if the
 * manifest was rewritten to match, the model's inputs and outputs) refuse.
 * `compile --model` does take a spec, which must describe the trained model.
 */
import assert from "node:assert/strict";
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { tempDir, type CliResult } from "../helpers/cli.js";
import { cliFrom, repoRoot } from "../helpers/paths.js";
import { poisonLastWeight, rewriteManifest } from "../helpers/model-folder.js";
import { assertOk, runCliAsync, assertOneLineError } from "../helpers/train-cli.js";

const cli = cliFrom(import.meta.url);
const esmm = join(repoRoot(), "specs", "esmm.mtl");
const { dir } = tempDir("bad-model");
const mtl = (args: readonly string[]): Promise<CliResult> => runCliAsync(cli, args, { cwd: dir });
const MODEL = "model";

let setup: CliResult[] = [];

function assertSetup(): void {
  for (const [i, r] of setup.entries()) assertOk(r, `setup step ${i + 1}`);
}

/** A fresh copy of the trained model folder, to damage. */
function copyOfModel(name: string, from = MODEL): string {
  const copy = join(dir, name);
  rmSync(copy, { recursive: true, force: true });
  cpSync(join(dir, from), copy, { recursive: true });
  return copy;
}

function weightsFile(folder: string): string {
  const weights = readdirSync(folder).filter((f) => /^weights\..*\.bin$/.test(f));
  assert.equal(weights.length, 1, `expected one weights file in ${folder}, got ${weights.join(", ")}`);
  return weights[0]!;
}

/**
 * Exit 1, nothing on stdout, exactly one "mtl: error: ..." line on stderr
 * that names `mentions` and matches `also`; returns the line.
 */
/** predict (to a file), eval and compile --target ts --model on a damaged folder: each refuses, naming `mentions`. */
async function assertRefusedByAll(folder: string, what: string, mentions: string, also?: RegExp): Promise<void> {
  const outDir = join(dir, `out-${folder}`);
  mkdirSync(outDir, { recursive: true });
  const predicted = await mtl(["predict", folder, "--data", "valid.csv", "-o", join(outDir, "scores.csv")]);
  assertOneLineError(predicted, `predict: ${what}`, mentions, also);
  const evaluated = await mtl(["eval", folder, "--data", "valid.csv"]);
  assertOneLineError(evaluated, `eval: ${what}`, mentions, also);
  const compiled = await mtl(["compile", esmm, "--target", "ts", "--model", folder, "-o", join(outDir, "model.ts")]);
  assertOneLineError(compiled, `compile --model: ${what}`, mentions, also);
  assert.deepEqual(readdirSync(outDir), [], `${what}: no output file and no temp file may be left`);
}

/** Tests overlap two CLI runs at a time (each spends most of a second loading TensorFlow.js). */
describe("damaged and mismatched model folders", { concurrency: 2 }, () => {
  before(async () => {
    setup = [await mtl(["generate", "esmm", "--rows", "400", "-o", "train.csv", "--holdout", "50", "--holdout-output", "valid.csv", "--seed", "9"])];
    if (setup[0]!.status !== 0) return;
    // The same data trained with specs/esmm.mtl and with a spec that predicts other tasks from other features.
    const other = readFileSync(esmm, "utf8")
      .replace("feature price    : numeric(transform: log1p, normalize: zscore)", "feature user_age : numeric(normalize: zscore)")
      .replaceAll("ctcvr", "buy");
    writeFileSync(join(dir, "other.mtl"), other);
    setup.push(
      await mtl(["train", esmm, "--data", "train.csv", "--out", MODEL, "--epochs", "1", "--max-steps", "2", "--quiet"]),
      await mtl(["train", "other.mtl", "--data", "train.csv", "--out", "other-model", "--epochs", "1", "--max-steps", "2", "--quiet"]),
    );
  });

  test("the undamaged folder: predict, eval and compile --model all work (the baseline)", async () => {
    assertSetup();
    assertOk(await mtl(["predict", MODEL, "--data", "valid.csv", "-o", "scores.csv"]), "predict");
    assertOk(await mtl(["eval", MODEL, "--data", "valid.csv"]), "eval");
    assertOk(await mtl(["compile", esmm, "--target", "ts", "--model", MODEL, "-o", "model.ts"]), "compile --model");
    assert.match(readFileSync(join(dir, "model.ts"), "utf8"), /export function predict/);
  });

  test("a missing weight file is named, and the folder called incomplete", async () => {
    assertSetup();
    const copy = copyOfModel("no-weights");
    const weights = weightsFile(copy);
    rmSync(join(copy, weights));
    await assertRefusedByAll("no-weights", "missing weights", weights, /is missing; the model folder is incomplete, train again or restore it/);
  });

  test("a truncated weight file is named, with both sizes", async () => {
    assertSetup();
    const copy = copyOfModel("cut-weights");
    const weights = weightsFile(copy);
    const size = readFileSync(join(copy, weights)).length;
    truncateSync(join(copy, weights), Math.floor(size / 2));
    await assertRefusedByAll("cut-weights", "truncated weights", weights, new RegExp(`has ${Math.floor(size / 2)} bytes, the manifest says ${size}: the file is truncated`));
  });

  test("a weight file altered in place (same size, one bit) is caught by its SHA-256", async () => {
    assertSetup();
    const copy = copyOfModel("flipped-weights");
    const weights = weightsFile(copy);
    const bytes = readFileSync(join(copy, weights));
    bytes[Math.floor(bytes.length / 3)]! ^= 0x01;
    writeFileSync(join(copy, weights), bytes);
    await assertRefusedByAll("flipped-weights", "one flipped bit", weights, /does not match its checksum in manifest\.json: the file was altered or corrupted/);
  });

  test("weights holding NaN (a diverged training) are refused, naming the weight, even under a rewritten manifest", async () => {
    assertSetup();
    const copy = copyOfModel("nan-weights");
    const { name, file } = poisonLastWeight(copy);
    await assertRefusedByAll("nan-weights", "NaN weight", file, new RegExp(`the weight '${name.replace(/[/.]/g, "\\$&")}' holds a NaN or infinite value \\(of \\d+\\), so every score would be NaN: .*train again`));
  });

  test("an edited encoding.json, ir.json or model.json is caught by its SHA-256", async () => {
    assertSetup();
    for (const [file, edit] of [
      ["encoding.json", (t: string) => t.replace(/"mean": (-?)(\d)/, (_m, sign: string, d: string) => `"mean": ${sign}${(Number(d) + 1) % 10}`)],
      ["ir.json", (t: string) => t.replace('"units": [\n        128', '"units": [\n        127')],
      ["model.json", (t: string) => t.replace('"units":128', '"units":127')],
    ] as const) {
      const name = `edited-${file.replace(".json", "")}`;
      const copy = copyOfModel(name);
      const text = readFileSync(join(copy, file), "utf8");
      const changed = edit(text);
      assert.notEqual(changed, text, `${file} should have something to edit`);
      assert.equal(changed.length, text.length, "same length: only the checksum can tell");
      writeFileSync(join(copy, file), changed);
      await assertRefusedByAll(name, `edited ${file}`, file, /does not match its checksum/);
    }
  });

  test("a layer renamed in model.json, the manifest rewritten to match: refused naming the missing layer (TensorFlow.js looped forever on it)", async () => {
    assertSetup();
    const copy = copyOfModel("renamed-layer");
    const text = readFileSync(join(copy, "model.json"), "utf8");
    const renamed = text.replace('"name":"tower_ctr_tower_dropout_0"', '"name":"tower_ctr^tower_dropout_0"');
    assert.notEqual(renamed, text, "model.json should have the ctr tower's dropout layer");
    writeFileSync(join(copy, "model.json"), renamed);
    rewriteManifest(copy);
    for (const command of ["predict", "eval"]) {
      const result = await runCliAsync(cli, [command, "renamed-layer", "--data", "valid.csv"], { cwd: dir, timeoutMs: 30_000 });
      assertOneLineError(result, command, "model.json", /its layer graph is broken: layer '[\w^]+': it refers to a layer 'tower_ctr_tower_dropout_0' that does not exist/);
    }
  });

  test("a missing, truncated or foreign manifest.json is named", async () => {
    assertSetup();
    const missing = copyOfModel("no-manifest");
    rmSync(join(missing, "manifest.json"));
    await assertRefusedByAll("no-manifest", "no manifest", "manifest.json", /is missing \(training did not finish saving\)/);

    const cut = copyOfModel("cut-manifest");
    truncateSync(join(cut, "manifest.json"), 40);
    await assertRefusedByAll("cut-manifest", "truncated manifest", "manifest.json", /cannot be read/);

    const foreign = copyOfModel("foreign-manifest");
    writeFileSync(join(foreign, "manifest.json"), JSON.stringify({ format: "mtl-model", files: { "metrics.json": { bytes: "7" } } }));
    await assertRefusedByAll("foreign-manifest", "a manifest of another shape", "manifest.json", /not an mtl model manifest/);
  });

  test("a manifest that no longer lists a file cannot vouch for it", async () => {
    assertSetup();
    const copy = copyOfModel("unlisted-weights");
    const weights = weightsFile(copy);
    const path = join(copy, "manifest.json");
    const manifest = JSON.parse(readFileSync(path, "utf8")) as { files: Record<string, unknown> };
    delete manifest.files[weights];
    writeFileSync(path, JSON.stringify(manifest));
    // Without its entry, an altered weight file would otherwise go unnoticed.
    const bytes = readFileSync(join(copy, weights));
    bytes[100]! ^= 0xff;
    writeFileSync(join(copy, weights), bytes);
    await assertRefusedByAll("unlisted-weights", "weights not in the manifest", weights, /does not list .*so it cannot be checked/);

    const noIr = copyOfModel("unlisted-ir");
    const m2 = JSON.parse(readFileSync(join(noIr, "manifest.json"), "utf8")) as { files: Record<string, unknown> };
    delete m2.files["ir.json"];
    writeFileSync(join(noIr, "manifest.json"), JSON.stringify(m2));
    await assertRefusedByAll("unlisted-ir", "ir.json not in the manifest", "ir.json", /does not list/);
  });

  test("a manifest naming a path outside the folder is refused before anything is read", async () => {
    assertSetup();
    const copy = copyOfModel("escaping-manifest");
    const path = join(copy, "manifest.json");
    const manifest = JSON.parse(readFileSync(path, "utf8")) as { files: Record<string, unknown> };
    manifest.files["../train.csv"] = { bytes: 1, sha256: "0".repeat(64) };
    writeFileSync(path, JSON.stringify(manifest));
    await assertRefusedByAll("escaping-manifest", "a path outside the folder", "../train.csv", /not a file of the folder/);
  });

  test("files from two trainings mixed in one folder are refused, even under a rewritten manifest", async () => {
    assertSetup();
    // The weights and encoding of the ESMM model with the IR of the other one: the checksums refuse the swap ...
    const swapped = copyOfModel("swapped-ir");
    cpSync(join(dir, "other-model", "ir.json"), join(swapped, "ir.json"));
    await assertRefusedByAll("swapped-ir", "another model's ir.json", "ir.json", /the file is truncated or was replaced|does not match its checksum/);

    // ... and with a manifest rewritten to match, the model no longer fits its own ir.json and encoding.json.
    const forged = copyOfModel("forged-manifest");
    cpSync(join(dir, "other-model", "ir.json"), join(forged, "ir.json"));
    cpSync(join(dir, "other-model", "encoding.json"), join(forged, "encoding.json"));
    rewriteManifest(forged);
    const predicted = await mtl(["predict", "forged-manifest", "--data", "valid.csv"]);
    assertOneLineError(predicted, "predict: mixed files", "model.json", /the files come from different models/);
    const evaluated = await mtl(["eval", "forged-manifest", "--data", "valid.csv"]);
    assertOneLineError(evaluated, "eval: mixed files", "model.json", /the files come from different models/);
  });

  test("compile --model with a spec the model was not trained on is refused, naming the first difference", async () => {
    assertSetup();
    const base = readFileSync(esmm, "utf8");
    const cases: [string, string, RegExp][] = [
      ["smaller-towers.mtl", base.replaceAll("[128, 64, 32]", "[64, 32]"), /tower 'ctr_tower': units is \[64,32\] in the spec but \[128,64,32\] in the model/],
      ["more-buckets.mtl", base.replace("buckets: 100,", "buckets: 200,"), /feature 'category': encoding\.buckets is 200 in the spec but 100 in the model/],
      ["extra-feature.mtl", base.replace("input x", "feature user_age : numeric()\ninput x"), /the spec has feature 'user_age' that the model lacks/],
      ["other-label.mtl", base.replace("label purchase", "label buy_if_clicked"), /task 'ctcvr': label\.column is "buy_if_clicked" in the spec but "purchase" in the model/],
    ];
    for (const [name, text, difference] of cases) {
      writeFileSync(join(dir, name), text);
      const out = join("compile-out", name);
      mkdirSync(join(dir, out), { recursive: true });
      const result = await mtl(["compile", name, "--target", "ts", "--model", MODEL, "-o", join(out, "model.ts")]);
      const line = assertOneLineError(result, `compile ${name} --model`, `--model ${MODEL}`, difference);
      assert.match(line, /trained on a different spec \(model\/spec\.mtl\)/, line);
      assert.match(line, /compile that spec, or train this one$/, line);
      assert.deepEqual(readdirSync(join(dir, out)), [], `${name}: no module may be written`);
    }
    // The other model's folder with specs/esmm.mtl: other features, other tasks.
    assertOneLineError(await mtl(["compile", esmm, "--target", "ts", "--model", "other-model"]), "compile esmm --model other-model", "--model other-model", /different spec/);
  });

  test("compile --model accepts the spec with other comments, train settings or data section", async () => {
    assertSetup();
    const text = readFileSync(esmm, "utf8")
      .replace("## p(click | impression)", "## the click-through rate")
      .replace("epochs: 2", "epochs: 5")
      .replace("batch: 512", "batch: 256");
    writeFileSync(join(dir, "retuned.mtl"), text);
    const result = await mtl(["compile", "retuned.mtl", "--target", "ts", "--model", MODEL, "-o", "retuned.ts"]);
    assertOk(result, "compile retuned.mtl --model");
    // The model folder's own copy of the spec compiles against it too.
    assertOk(await mtl(["compile", join(MODEL, "spec.mtl"), "--target", "ts", "--model", MODEL]), "compile model/spec.mtl --model");
  });
});

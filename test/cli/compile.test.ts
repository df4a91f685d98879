import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { test } from "node:test";
import { compileSource } from "../../src/compiler.js";
import { validateIr } from "../../src/ir/validate.js";
import { assertNoCrash, assertUsageError, runCli, tempDir } from "../helpers/cli.js";
import { characterDevice } from "../helpers/devices.js";
import { cliFrom, exampleSpecs, repoRoot } from "../helpers/paths.js";

const CLI = cliFrom(import.meta.url);
const ROOT = repoRoot();
const SPECS = exampleSpecs();
const MMOE = join(ROOT, "specs", "mmoe.mtl");
const tmp = tempDir("compile");

let counter = 0;
/** A fresh empty folder inside the temp folder. */
function freshDir(): string {
  const dir = join(tmp.dir, `case-${++counter}`);
  mkdirSync(dir);
  return dir;
}

const BAD_SPEC = readFileSync(MMOE, "utf8").replace("mlp(x, [64], activation: relu)", "mlp(x, [64], activation: relux)");
const WARN_SPEC = "model m\nfeature a : numeric()\nfeature b : numeric()\ninput x = concat(a)\ntower t = mlp(x, [4])\ntask c : binary = t label click\n";

/** Compiles every example spec into a fresh --out-dir; returns file name → content. */
function compileAll(...flags: string[]): Map<string, string> {
  const dir = freshDir();
  const result = runCli(CLI, ["compile", ...flags, "--out-dir", dir, ...SPECS]);
  assertNoCrash(result, `compile ${flags.join(" ")} --out-dir`);
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout, "", "--out-dir must not also print");
  assert.equal(result.stderr, "", "clean specs print nothing on stderr");
  return new Map(readdirSync(dir).sort().map((f) => [f, readFileSync(join(dir, f), "utf8")]));
}

test("compile --emit ir and --target ir give the same schema-valid JSON, equal to the in-process IR", () => {
  const viaEmit = compileAll("--emit", "ir");
  const viaTarget = compileAll("--target", "ir");
  assert.deepEqual([...viaEmit.keys()], SPECS.map((s) => basename(s, ".mtl") + ".ir.json").sort());
  for (const spec of SPECS) {
    const file = basename(spec, ".mtl") + ".ir.json";
    const text = viaEmit.get(file)!;
    assert.equal(text, viaTarget.get(file), `${file}: --emit and --target differ`);
    assert.ok(text.endsWith("}\n") && !text.endsWith("\n\n"), `${file}: should end with exactly one newline`);
    const ir = JSON.parse(text) as unknown;
    assert.deepEqual(validateIr(ir), [], `${file}: the IR violates the schema`);
    const inProcess = compileSource(readFileSync(spec), spec).ir;
    assert.deepEqual(ir, JSON.parse(JSON.stringify(inProcess)), `${file}: CLI and compileSource disagree`);
  }
  // One spec to standard output: the same bytes, with each flag and with none.
  const expected = viaEmit.get("mmoe.ir.json");
  for (const flags of [[], ["--emit", "ir"], ["--target", "ir"], ["-t", "ir"]]) {
    const result = runCli(CLI, ["compile", MMOE, ...flags]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, expected, `compile mmoe.mtl ${flags.join(" ")}: differs from --out-dir output`);
  }
  // Both flags at once named two targets and printed the --emit one without a word: refused instead.
  assertUsageError(runCli(CLI, ["compile", MMOE, "--target", "ts", "--emit", "ir"]), "--target with --emit", /--emit.*--target/);
});

test("compile refuses an option of another target (--model, --tfjs-node), which it used to ignore without a word", () => {
  assertUsageError(runCli(CLI, ["compile", MMOE, "--target", "svg", "--model", "m"]), "--model with svg", /--model applies to --target ts and torch, not svg/);
  assertUsageError(runCli(CLI, ["compile", MMOE, "--model", "m"]), "--model with the default ir", /--model applies to --target ts and torch, not ir/);
  assertUsageError(runCli(CLI, ["compile", MMOE, "--emit", "dot", "--tfjs-node"]), "--tfjs-node with dot", /--tfjs-node applies to --target ts, not dot/);
  assertUsageError(runCli(CLI, ["compile", MMOE, "--target", "torch", "--tfjs-node", "-o", "x"]), "--tfjs-node with torch", /--tfjs-node applies to --target ts, not torch/);
});

test("compile is deterministic: two runs give byte-identical output for every example spec", () => {
  const first = compileAll();
  const second = compileAll();
  assert.equal(first.size, SPECS.length);
  for (const [file, text] of first) {
    assert.ok(text.length > 100, file);
    assert.equal(Buffer.compare(Buffer.from(text), Buffer.from(second.get(file)!)), 0, `${file}: outputs differ`);
  }
});

test("compile -o FILE writes the file atomically, prints nothing, and leaves no temporary file", () => {
  const dir = freshDir();
  const out = join(dir, "mmoe.ir.json");
  const result = runCli(CLI, ["compile", MMOE, "-o", out]);
  assertNoCrash(result, "compile -o");
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout, "", "-o must not also print the IR");
  assert.deepEqual(readdirSync(dir), ["mmoe.ir.json"], "a temporary file was left behind");
  const stdout = runCli(CLI, ["compile", MMOE]).stdout;
  assert.equal(readFileSync(out, "utf8"), stdout, "the file differs from what stdout would show");
  assert.deepEqual(validateIr(JSON.parse(readFileSync(out, "utf8"))), []);

  // --output, and overwriting an existing file.
  writeFileSync(out, "stale");
  const again = runCli(CLI, ["compile", "--output", out, MMOE]);
  assert.equal(again.status, 0);
  assert.equal(readFileSync(out, "utf8"), stdout, "an existing file is not replaced");
  assert.deepEqual(readdirSync(dir), ["mmoe.ir.json"]);
});

test("compile -o - writes to standard output", () => {
  const result = runCli(CLI, ["compile", MMOE, "-o", "-"]);
  assert.equal(result.status, 0);
  assert.deepEqual(validateIr(JSON.parse(result.stdout)), []);
});

test("compile of a spec with errors exits 1, reports on stderr and writes nothing", () => {
  const dir = freshDir();
  writeFileSync(join(dir, "bad.mtl"), BAD_SPEC);
  const out = join(dir, "bad.ir.json");
  const result = runCli(CLI, ["compile", "bad.mtl", "-o", out], { cwd: dir });
  assertNoCrash(result, "compile bad.mtl -o");
  assert.equal(result.status, 1);
  assert.equal(result.stdout, "");
  assert.match(result.stderr, /^bad\.mtl:\d+:\d+: error MTL3009: /m);
  assert.match(result.stderr, /1 error, 0 warnings in 1 file/);
  assert.equal(existsSync(out), false, "the -o file was written despite errors");
  assert.deepEqual(readdirSync(dir).sort(), ["bad.mtl"], "something was written despite errors");

  const toStdout = runCli(CLI, ["compile", "bad.mtl"], { cwd: dir });
  assert.equal(toStdout.status, 1);
  assert.equal(toStdout.stdout, "", "no IR on stdout for a spec with errors");
});

test("compile of a spec with errors leaves an existing -o file untouched", () => {
  const dir = freshDir();
  writeFileSync(join(dir, "bad.mtl"), BAD_SPEC);
  writeFileSync(join(dir, "out.json"), "previous");
  const result = runCli(CLI, ["compile", "bad.mtl", "-o", "out.json"], { cwd: dir });
  assert.equal(result.status, 1);
  assert.equal(readFileSync(join(dir, "out.json"), "utf8"), "previous");
});

test("compile of a spec with warnings only succeeds: exit 0, IR written, warnings on stderr", () => {
  const dir = freshDir();
  writeFileSync(join(dir, "warn.mtl"), WARN_SPEC);
  const result = runCli(CLI, ["compile", "warn.mtl", "-o", "warn.ir.json"], { cwd: dir });
  assertNoCrash(result, "compile warn.mtl");
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stderr, /warning MTL2006/);
  assert.equal(result.stdout, "");
  assert.deepEqual(validateIr(JSON.parse(readFileSync(join(dir, "warn.ir.json"), "utf8"))), []);
});

test("compile --out-dir creates the folder and writes one <name>.ir.json per spec", () => {
  const dir = join(freshDir(), "nested", "out");
  const result = runCli(CLI, ["compile", "--out-dir", dir, ...SPECS]);
  assertNoCrash(result, "compile --out-dir");
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout, "");
  const expected = SPECS.map((s) => basename(s, ".mtl") + ".ir.json").sort();
  assert.deepEqual(readdirSync(dir).sort(), expected, "wrong files (or temporary files left) in --out-dir");
  for (const spec of SPECS) {
    const written = JSON.parse(readFileSync(join(dir, basename(spec, ".mtl") + ".ir.json"), "utf8")) as unknown;
    assert.deepEqual(written, JSON.parse(JSON.stringify(compileSource(readFileSync(spec), spec).ir)), `${basename(spec)}: wrong content`);
  }
});

test("compile --out-dir with one bad spec exits 1 and writes no file at all", () => {
  const dir = freshDir();
  writeFileSync(join(dir, "bad.mtl"), BAD_SPEC);
  const out = join(dir, "out");
  const result = runCli(CLI, ["compile", "--out-dir", out, MMOE, join(dir, "bad.mtl")]);
  assert.equal(result.status, 1);
  assert.ok(!existsSync(out) || readdirSync(out).length === 0, "files were written although a spec has errors");
});

test("compile -o into a folder that does not exist fails cleanly (or creates it), never with an internal error", () => {
  const dir = freshDir();
  const out = join(dir, "missing-folder", "x.ir.json");
  const result = runCli(CLI, ["compile", MMOE, "-o", out]);
  assertNoCrash(result, "compile -o missing-folder/x.ir.json");
  if (result.status === 0) {
    assert.deepEqual(validateIr(JSON.parse(readFileSync(out, "utf8"))), []);
  } else {
    assert.equal(result.status, 2, `expected exit 2 for an unwritable output, got ${result.status}: ${result.stderr}`);
    assert.match(result.stderr, /^mtl: .*missing-folder/m, "the message should name the output path");
  }
});

test("compile refuses an output that is its input, two specs written to one file, or a file inside the --model folder", () => {
  const dir = join(tmp.dir, "same");
  mkdirSync(join(dir, "a"), { recursive: true });
  mkdirSync(join(dir, "b"), { recursive: true });
  mkdirSync(join(dir, "m1"), { recursive: true });
  const spec = readFileSync(MMOE, "utf8");
  for (const path of ["same.mtl", "a/x.mtl", "b/x.mtl"]) writeFileSync(join(dir, path), spec);
  writeFileSync(join(dir, "m1", "model.json"), "{}");
  const cases: [string[], RegExp][] = [
    [["compile", "same.mtl", "-o", "same.mtl"], /--output same\.mtl and the spec same\.mtl are the same file: the input would be lost/],
    [["compile", "same.mtl", "-o", "./same.mtl"], /--output \.\/same\.mtl and the spec same\.mtl are the same file/],
    [["compile", "a/x.mtl", "b/x.mtl", "--out-dir", "out"], /out\/x\.ir\.json \(compiled from b\/x\.mtl\) and out\/x\.ir\.json \(compiled from a\/x\.mtl\) are the same file: one would overwrite the other/],
    [["compile", "same.mtl", "--target", "ts", "--model", "m1", "-o", "m1/model.json"], /--output m1\/model\.json is inside the model folder m1/],
  ];
  for (const [args, message] of cases) assertUsageError(runCli(CLI, args, { cwd: dir }), args.join(" "), message);
  assert.equal(readFileSync(join(dir, "same.mtl"), "utf8"), spec, "the spec is intact");
  assert.equal(readFileSync(join(dir, "m1", "model.json"), "utf8"), "{}", "the model folder is intact");
  assert.equal(existsSync(join(dir, "out")), false, "nothing was written");
});

test("compile -o /dev/null writes in place (the device stays a device); -o . says it is a folder", () => {
  const device = characterDevice(tmp.dir, "null");
  const result = runCli(CLI, ["compile", MMOE, "-o", device]);
  assert.equal(result.status, 0, result.stderr);
  assert.ok(statSync(device).isCharacterDevice());
  assertUsageError(runCli(CLI, ["compile", MMOE, "-o", "."], { cwd: tmp.dir }), "compile -o .", /cannot write '\.': the output path is a folder; name a file inside it/);
});

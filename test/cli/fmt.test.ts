import assert from "node:assert/strict";
import { chmodSync, lstatSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { formatSource } from "../../src/format/index.js";
import { assertNoCrash, assertUsageError, runCli, tempDir } from "../helpers/cli.js";
import { cliFrom, repoRoot } from "../helpers/paths.js";

const CLI = cliFrom(import.meta.url);
// The example specs are formatted already; spread one out so there is something to rewrite.
const ESMM = readFileSync(join(repoRoot(), "specs", "esmm.mtl"), "utf8").replace(/ label /g, "     label ");
const FORMATTED = formatSource(ESMM, "esmm.mtl").text!;
const BROKEN = "model m\nfeature a : numeric(\n";

function fresh(files: Record<string, string>): string {
  const { dir } = tempDir("fmt");
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

test("mtl fmt rewrites files in place, leaves formatted ones alone, exits 0", () => {
  const dir = fresh({ "a.mtl": ESMM, "b.mtl": FORMATTED });
  chmodSync(join(dir, "a.mtl"), 0o640);
  const before = statSync(join(dir, "b.mtl")).mtimeMs;
  const result = runCli(CLI, ["fmt", "a.mtl", "b.mtl"], { cwd: dir });
  assertNoCrash(result, "fmt");
  assert.equal(result.status, 0, result.stderr);
  assert.equal(readFileSync(join(dir, "a.mtl"), "utf8"), FORMATTED);
  assert.equal(readFileSync(join(dir, "b.mtl"), "utf8"), FORMATTED);
  assert.equal(statSync(join(dir, "b.mtl")).mtimeMs, before, "an already formatted file is not rewritten");
  assert.equal(statSync(join(dir, "a.mtl")).mode & 0o777, 0o640, "the file mode is kept");
  assert.deepEqual(readdirSync(dir).sort(), ["a.mtl", "b.mtl"], "no temporary files left");
  const again = runCli(CLI, ["fmt", "--check", "a.mtl", "b.mtl"], { cwd: dir });
  assert.equal(again.status, 0);
  assert.equal(again.stdout, "");
});

test("mtl fmt --check lists files that would change, exits 1, writes nothing", () => {
  const dir = fresh({ "a.mtl": ESMM, "b.mtl": FORMATTED, "c.mtl": ESMM.replace("batch: 512", "batch:512") });
  const result = runCli(CLI, ["fmt", "--check", "a.mtl", "b.mtl", "c.mtl"], { cwd: dir });
  assertNoCrash(result, "fmt --check");
  assert.equal(result.status, 1);
  assert.equal(result.stdout, "a.mtl\nc.mtl\n");
  assert.equal(readFileSync(join(dir, "a.mtl"), "utf8"), ESMM, "--check writes nothing");
});

test("a file with syntax errors is reported like mtl check and left untouched; the others are formatted", () => {
  const dir = fresh({ "bad.mtl": BROKEN, "good.mtl": ESMM });
  const result = runCli(CLI, ["fmt", "bad.mtl", "good.mtl"], { cwd: dir });
  assertNoCrash(result, "fmt bad");
  assert.equal(result.status, 1);
  assert.match(result.stderr, /^bad\.mtl:2:21: error MTL1003: /m);
  assert.match(result.stderr, /^ {2}\d+ \| /m, "the source line is shown");
  assert.equal(readFileSync(join(dir, "bad.mtl"), "utf8"), BROKEN);
  assert.equal(readFileSync(join(dir, "good.mtl"), "utf8"), FORMATTED);
  const check = runCli(CLI, ["fmt", "--check", "bad.mtl"], { cwd: dir });
  assert.equal(check.status, 1);
  assert.equal(check.stdout, "");
});

test("invalid UTF-8 is reported and the file left untouched; a missing file is a usage error", () => {
  const dir = fresh({});
  const bytes = Buffer.concat([Buffer.from("model m \""), Buffer.from([0xff, 0xfe]), Buffer.from("\"\n")]);
  writeFileSync(join(dir, "bin.mtl"), bytes);
  const result = runCli(CLI, ["fmt", "bin.mtl"], { cwd: dir });
  assert.equal(result.status, 1);
  assert.match(result.stderr, /bin\.mtl:1:\d+: error MTL1004/);
  assert.deepEqual(readFileSync(join(dir, "bin.mtl")), bytes);
  const missing = runCli(CLI, ["fmt", "nope.mtl"], { cwd: dir });
  assertNoCrash(missing, "fmt missing");
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /^mtl: cannot read 'nope\.mtl': no such file$/m);
});

test("mtl fmt with no file is a usage error", () => {
  const result = runCli(CLI, ["fmt"]);
  assert.equal(result.status, 2);
});

test("mtl fmt - formats standard input to standard output, and --check - exits 1 only if it would change", () => {
  const { dir } = tempDir("fmt-stdin");
  const formatted = runCli(CLI, ["fmt", "-"], { cwd: dir, input: ESMM });
  assertNoCrash(formatted, "fmt -");
  assert.equal(formatted.status, 0, formatted.stderr);
  assert.equal(formatted.stdout, FORMATTED);
  assert.equal(formatted.stderr, "");
  assert.deepEqual(readdirSync(dir), [], "nothing is written to disk");

  const unchanged = runCli(CLI, ["fmt", "-"], { input: FORMATTED });
  assert.equal(unchanged.status, 0, unchanged.stderr);
  assert.equal(unchanged.stdout, FORMATTED, "formatted input is echoed as it is");

  const clean = runCli(CLI, ["fmt", "--check", "-"], { input: FORMATTED });
  assert.equal(clean.status, 0, clean.stderr);
  assert.equal(clean.stdout, "");
  const dirty = runCli(CLI, ["fmt", "--check", "-"], { input: ESMM });
  assert.equal(dirty.status, 1, dirty.stderr);
  assert.equal(dirty.stdout, "<stdin>\n", "--check lists the input by its name, as it lists files");
});

test("mtl fmt - reports a syntax error at <stdin> (or --stdin-filepath) with line and column, and prints no text", () => {
  const result = runCli(CLI, ["fmt", "-"], { input: BROKEN });
  assertNoCrash(result, "fmt - broken");
  assert.equal(result.status, 1);
  assert.equal(result.stdout, "", "no half-formatted output");
  assert.match(result.stderr, /^<stdin>:2:21: error MTL1003: /m);
  assert.match(result.stderr, /^ {2}2 \| feature a : numeric\($/m, "the source line is shown");

  const named = runCli(CLI, ["fmt", "-", "--stdin-filepath", "specs/new.mtl"], { input: BROKEN });
  assert.equal(named.status, 1);
  assert.match(named.stderr, /^specs\/new\.mtl:2:21: error MTL1003: /m);
  assert.equal(runCli(CLI, ["fmt", "--check", "-", "--stdin-filepath", "n.mtl"], { input: ESMM }).stdout, "n.mtl\n");
});

test("mtl fmt - with files, or --stdin-filepath without -, is a usage error", () => {
  const dir = fresh({ "a.mtl": ESMM });
  const mixed = runCli(CLI, ["fmt", "-", "a.mtl"], { cwd: dir, input: ESMM });
  assertUsageError(mixed, "fmt - a.mtl", /'-' \(standard input\) cannot be combined with files/);
  assert.equal(readFileSync(join(dir, "a.mtl"), "utf8"), ESMM, "the file is not formatted");
  assertUsageError(runCli(CLI, ["fmt", "--stdin-filepath", "x.mtl", "a.mtl"], { cwd: dir }), "--stdin-filepath without -", /--stdin-filepath only applies/);
});

test("mtl fmt keeps a file's BOM and CRLF line endings (and --check accepts them), and writes through a link", () => {
  const bom = Buffer.from([0xef, 0xbb, 0xbf]);
  const crlf = (text: string) => text.replace(/\n/g, "\r\n");
  const dir = fresh({});
  writeFileSync(join(dir, "styled.mtl"), Buffer.concat([bom, Buffer.from(crlf(ESMM))]));
  chmodSync(join(dir, "styled.mtl"), 0o600);
  symlinkSync("styled.mtl", join(dir, "link.mtl"));
  const result = runCli(CLI, ["fmt", "link.mtl"], { cwd: dir });
  assert.equal(result.status, 0, result.stderr);
  assert.ok(lstatSync(join(dir, "link.mtl")).isSymbolicLink(), "the link stays a link");
  assert.deepEqual(readFileSync(join(dir, "styled.mtl")), Buffer.concat([bom, Buffer.from(crlf(FORMATTED))]));
  assert.equal(statSync(join(dir, "styled.mtl")).mode & 0o777, 0o600);
  assert.equal(runCli(CLI, ["fmt", "--check", "styled.mtl"], { cwd: dir }).status, 0, "a formatted CRLF file is formatted");
  const piped = runCli(CLI, ["fmt", "-"], { input: crlf(ESMM) });
  assert.equal(piped.stdout, crlf(FORMATTED), "standard input keeps its line endings too");
});

test("mtl fmt refuses a spec larger than MAX_SPEC_BYTES with one line", () => {
  const result = runCli(CLI, ["fmt", "/dev/zero"]);
  assertUsageError(result, "fmt /dev/zero", /cannot read '\/dev\/zero': it is larger than 8 MiB/);
});

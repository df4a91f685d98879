import assert from "node:assert/strict";
import { chmodSync, lstatSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";
import { CATALOG } from "../../src/diagnostics/catalog.js";
import { assertNoCrash, assertUsageError, runCli, tempDir } from "../helpers/cli.js";
import { exampleSpecs, repoRoot, cliFrom } from "../helpers/paths.js";

const CLI = cliFrom(import.meta.url);
const ROOT = repoRoot();
const SPECS = exampleSpecs();
const tmp = tempDir("check");

const MMOE = readFileSync(join(ROOT, "specs", "mmoe.mtl"), "utf8");

/** Writes a spec into the temp folder and returns its name (relative to the temp folder). */
function spec(name: string, text: string): string {
  writeFileSync(join(tmp.dir, name), text);
  return name;
}

function replaceOnce(text: string, from: string, to: string): string {
  assert.ok(text.includes(from), `fixture text '${from}' not found`);
  return text.replace(from, to);
}

/** 1-based line and column of the first occurrence of `needle`. */
function locate(text: string, needle: string, occurrence = 0): { line: number; column: number; lineText: string } {
  let index = -1;
  for (let i = 0; i <= occurrence; i++) index = text.indexOf(needle, index + 1);
  assert.ok(index >= 0, `'${needle}' not found`);
  const lineStart = text.lastIndexOf("\n", index - 1) + 1;
  const lineEnd = text.indexOf("\n", index);
  return { line: text.slice(0, index).split("\n").length, column: index - lineStart + 1, lineText: text.slice(lineStart, lineEnd === -1 ? undefined : lineEnd) };
}

/** Expands tabs to 8-column stops, as a terminal shows them. */
function expandTabs(line: string): string {
  let out = "";
  for (const c of line) out += c === "\t" ? " ".repeat(8 - (out.length % 8)) : c;
  return out;
}

/**
 * Finds the diagnostic block for `file:line:col` in human output and checks
 * the source line and that the carets sit exactly under `offending`.
 */
function assertCaret(output: string, file: string, at: { line: number; column: number; lineText: string }, code: string, offending: string): void {
  const lines = output.split("\n");
  const headerIndex = lines.findIndex((l) => l.startsWith(`${file}:${at.line}:${at.column}: error ${code}: `));
  assert.ok(headerIndex >= 0, `no header '${file}:${at.line}:${at.column}: error ${code}: ...' in:\n${output}`);
  assert.ok(lines[headerIndex]!.length > `${file}:${at.line}:${at.column}: error ${code}: `.length, "the message is empty");
  const sourceLine = lines[headerIndex + 1]!;
  const caretLine = lines[headerIndex + 2]!;
  const gutter = `  ${at.line} | `;
  assert.ok(sourceLine.startsWith(gutter), `source line should start with '${gutter}': '${sourceLine}'`);
  if (at.lineText.length <= 200) assert.equal(sourceLine, gutter + at.lineText, "the source line is shown verbatim");
  assert.ok(caretLine.startsWith(`  ${" ".repeat(String(at.line).length)} | `), `bad caret line prefix: '${caretLine}'`);
  assert.match(caretLine, /^[ \t|0-9]*\^+$/, `caret line should be blanks then carets: '${caretLine}'`);
  const shown = expandTabs(sourceLine);
  const carets = expandTabs(caretLine);
  const first = carets.indexOf("^");
  const count = carets.length - first;
  assert.equal(count, offending.length, `expected ${offending.length} carets, got ${count}`);
  assert.equal(shown.slice(first, first + count), offending, `carets sit under '${shown.slice(first, first + count)}', not '${offending}'\n${sourceLine}\n${caretLine}`);
}

test("check: every example spec is clean: exit 0 and '0 errors'", () => {
  const result = runCli(CLI, ["check", ...SPECS.map((s) => relative(ROOT, s))], { cwd: ROOT });
  assertNoCrash(result, "check specs/*.mtl");
  assert.equal(result.status, 0, result.stdout + result.stderr);
  assert.equal(result.stdout, `0 errors, 0 warnings in ${SPECS.length} files\n`);
  assert.equal(result.stderr, "");
});

test("check --format json on every example spec prints []", () => {
  const json = runCli(CLI, ["check", "--format", "json", ...SPECS]);
  assertNoCrash(json, "check --format json specs/*.mtl");
  assert.equal(json.status, 0, json.stderr);
  assert.deepEqual(JSON.parse(json.stdout), []);
});

test("check: an error prints file:line:col, the source line and carets under the offending text; exit 1", () => {
  const text = replaceOnce(MMOE, "activation: relu)", "activation: relux)");
  const file = spec("bad-activation.mtl", text);
  const result = runCli(CLI, ["check", file], { cwd: tmp.dir });
  assertNoCrash(result, "check bad-activation.mtl");
  assert.equal(result.status, 1, result.stdout);
  const at = locate(text, "relux");
  assertCaret(result.stdout, file, at, "MTL3009", "relux");
  assert.match(result.stdout, /relux/);
  assert.match(result.stdout, /\n1 error, 0 warnings in 1 file\n$/);
});

test("check: several errors each get their own excerpt, in source order", () => {
  let text = replaceOnce(MMOE, "over e\ngate g_cvr", "over ee\ngate g_cvr");
  text = replaceOnce(text, "numeric(transform: log1p", "numeric(transfrom: log1p");
  const file = spec("two-errors.mtl", text);
  const result = runCli(CLI, ["check", file], { cwd: tmp.dir });
  assertNoCrash(result, "check two-errors.mtl");
  assert.equal(result.status, 1);
  const typo = locate(text, "transfrom");
  const expert = locate(text, "over ee");
  const eeAt = { ...expert, column: expert.column + "over ".length };
  assertCaret(result.stdout, file, typo, "MTL3002", "transfrom");
  assertCaret(result.stdout, file, eeAt, "MTL2001", "ee");
  assert.ok(result.stdout.indexOf(`:${typo.line}:`) < result.stdout.indexOf(`:${eeAt.line}:`), "diagnostics are not in source order");
  assert.match(result.stdout, /\n2 errors, 0 warnings in 1 file\n$/);
});

test("check: carets stay aligned on a tab-indented line", () => {
  const text = replaceOnce(MMOE, "tower ctr_tower = mlp(g_ctr, [32])", "tower ctr_tower =\tmlp(g_ctr,\t[32], dropuot: 0.1)");
  const file = spec("tabs.mtl", text);
  const result = runCli(CLI, ["check", file], { cwd: tmp.dir });
  assert.equal(result.status, 1);
  assertCaret(result.stdout, file, locate(text, "dropuot"), "MTL3002", "dropuot");
});

test("check: carets stay under the offending text on a very long line (windowed excerpt)", () => {
  const line = `feature price    : numeric(transform: log1p, normalize: zscore)${" ".repeat(700)}@@`;
  const text = replaceOnce(MMOE, "feature price    : numeric(transform: log1p, normalize: zscore)", line);
  const file = spec("long-line.mtl", text);
  const result = runCli(CLI, ["check", file], { cwd: tmp.dir });
  assert.equal(result.status, 1);
  assertCaret(result.stdout, file, locate(text, "@@"), "MTL1001", "@@");
  assert.ok(result.stdout.length < 2_000, `a long line should be windowed, got ${result.stdout.length} characters`);
});

test("check --format json: parseable, with code, severity, message, file and a 1-based range", () => {
  const text = replaceOnce(MMOE, "activation: relu)", "activation: relux)");
  const file = spec("json-error.mtl", text);
  const result = runCli(CLI, ["check", "--format", "json", file], { cwd: tmp.dir });
  assertNoCrash(result, "check --format json");
  assert.equal(result.status, 1);
  const parsed = JSON.parse(result.stdout) as unknown[];
  assert.ok(Array.isArray(parsed));
  assert.equal(parsed.length, 1);
  const d = parsed[0] as Record<string, unknown>;
  const at = locate(text, "relux");
  assert.equal(d["code"], "MTL3009");
  assert.equal(d["severity"], "error");
  assert.equal(d["file"], file);
  assert.equal(d["rule"], CATALOG.MTL3009.id);
  assert.equal(typeof d["message"], "string");
  assert.match(d["message"] as string, /relux/);
  assert.deepEqual(d["range"], { start: { line: at.line, column: at.column }, end: { line: at.line, column: at.column + "relux".length } });
});

test("check --format json: several files, warnings and errors, all with valid ranges", () => {
  const bad = spec("json-bad.mtl", replaceOnce(MMOE, "over e\ngate g_cvr", "over ee\ngate g_cvr"));
  const warn = spec("json-warn.mtl", replaceOnce(MMOE, "input x = concat(*)", "feature spare : numeric()\ninput x = concat(*)\ninput unused = concat(price)"));
  const result = runCli(CLI, ["check", "-f", "json", bad, warn], { cwd: tmp.dir });
  assert.equal(result.status, 1);
  const parsed = JSON.parse(result.stdout) as { file: string; code: string; severity: string; message: string; range: { start: { line: number; column: number }; end: { line: number; column: number } } }[];
  assert.deepEqual(parsed.map((d) => [d.file, d.code, d.severity]), [
    [bad, "MTL2001", "error"],
    [warn, "MTL2006", "warning"],
  ]);
  for (const d of parsed) {
    assert.ok(d.message.length > 0);
    assert.ok(d.range.start.line >= 1 && d.range.start.column >= 1, "1-based");
    assert.ok(d.range.end.line > d.range.start.line || d.range.end.column > d.range.start.column, "non-empty range");
  }
  assert.equal(parsed[1]!.range.start.line, locate(readFileSync(join(tmp.dir, warn), "utf8"), "input unused").line);
});

test("check: warnings only exit 0 and are printed", () => {
  const text = "model m\nfeature a : numeric()\nfeature b : numeric()\ninput x = concat(a, a)\ntower t = mlp(x, [4])\ntask c : binary = t label click\n";
  const file = spec("warnings.mtl", text);
  const result = runCli(CLI, ["check", file], { cwd: tmp.dir });
  assertNoCrash(result, "check warnings.mtl");
  assert.equal(result.status, 0, result.stdout);
  assert.match(result.stdout, new RegExp(`^${file}:3:9: warning MTL2006: `, "m"));
  assert.match(result.stdout, new RegExp(`^${file}:4:21: warning MTL4007: `, "m"));
  assert.match(result.stdout, /\n0 errors, 2 warnings in 1 file\n$/);
  const json = runCli(CLI, ["check", "--format", "json", file], { cwd: tmp.dir });
  assert.equal(json.status, 0);
  assert.deepEqual((JSON.parse(json.stdout) as { severity: string }[]).map((d) => d.severity), ["warning", "warning"]);
});

test("check: a clean spec and a spec with errors together exit 1", () => {
  const bad = spec("mixed-bad.mtl", replaceOnce(MMOE, "[64]", "[0]"));
  const result = runCli(CLI, ["check", SPECS[0]!, join(tmp.dir, bad)]);
  assert.equal(result.status, 1);
  assert.match(result.stdout, /1 error, 0 warnings in 2 files/);
});

test("usage errors exit 2 with a one-line 'mtl: ...' message and no stack trace", () => {
  const mmoe = join(ROOT, "specs", "mmoe.mtl");
  assertUsageError(runCli(CLI, ["frobnicate"]), "unknown command", /frobnicate/);
  assertUsageError(runCli(CLI, ["check", "--bogus", mmoe]), "unknown option", /--bogus/);
  assertUsageError(runCli(CLI, ["compile", "--bogus", mmoe]), "unknown compile option", /--bogus/);
  assertUsageError(runCli(CLI, ["check"]), "check without a spec", /spec/);
  assertUsageError(runCli(CLI, ["compile"]), "compile without a spec", /spec/);
  assertUsageError(runCli(CLI, ["check", "--format", "xml", mmoe]), "bad --format", /xml/);
  assertUsageError(runCli(CLI, ["check", "--format"]), "--format without a value", /format/);
  assertUsageError(runCli(CLI, ["compile", "--target", "tfjs-nonsense", mmoe]), "bad --target", /tfjs-nonsense/);
  assertUsageError(runCli(CLI, ["compile", "--emit", "nope", mmoe]), "bad --emit", /nope/);
  assertUsageError(runCli(CLI, ["compile", mmoe, join(ROOT, "specs", "esmm.mtl")]), "two specs, no --out-dir", /--out-dir/);
  assertUsageError(runCli(CLI, ["compile", "-o", join(tmp.dir, "x.json"), "--out-dir", tmp.dir, mmoe]), "-o with --out-dir", /--out-dir|--output/);
});

test("mtl with no arguments shows usage and does not crash", () => {
  const result = runCli(CLI, []);
  assertNoCrash(result, "mtl");
  assert.notEqual(result.status, 0, "no command is not a success");
  assert.match(result.stdout + result.stderr, /Usage: mtl/);
});

test("a missing spec file exits 2 and names the file", () => {
  const missing = join(tmp.dir, "does-not-exist.mtl");
  assertUsageError(runCli(CLI, ["check", missing]), "missing spec", /does-not-exist\.mtl/);
  assertUsageError(runCli(CLI, ["check", SPECS[0]!, missing]), "missing second spec", /does-not-exist\.mtl/);
  assertUsageError(runCli(CLI, ["compile", missing]), "compile missing spec", /does-not-exist\.mtl/);
  assertUsageError(runCli(CLI, ["check", tmp.dir]), "a directory as spec", new RegExp(tmp.dir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
});

test("--help of mtl, check and compile exits 0 and documents every option", () => {
  const top = runCli(CLI, ["--help"]);
  assert.equal(top.status, 0);
  assert.match(top.stdout, /Usage: mtl/);
  for (const word of ["check", "compile", "--version", "--help"]) assert.ok(top.stdout.includes(word), `mtl --help lacks ${word}`);

  const check = runCli(CLI, ["check", "--help"]);
  assert.equal(check.status, 0);
  assert.match(check.stdout, /Usage: mtl check/);
  for (const word of ["--format", "-f", "human", "json", "--no-color"]) assert.ok(check.stdout.includes(word), `mtl check --help lacks ${word}`);

  const compile = runCli(CLI, ["compile", "--help"]);
  assert.equal(compile.status, 0);
  assert.match(compile.stdout, /Usage: mtl compile/);
  for (const word of ["--target", "-t,", "--emit", "-o,", "--output", "--out-dir", "ir"]) assert.ok(compile.stdout.includes(word), `mtl compile --help lacks ${word}`);

  const viaHelp = runCli(CLI, ["help", "compile"]);
  assert.equal(viaHelp.status, 0);
  assert.equal(viaHelp.stdout, compile.stdout);
});

test("--version and -v print the package.json version", () => {
  const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
  for (const flag of ["--version", "-v"]) {
    const result = runCli(CLI, [flag]);
    assert.equal(result.status, 0);
    assert.equal(result.stdout.trim(), version);
  }
});

test("npm's build leaves the package's bin executable, so `npx mtl` runs in a clone (tsc writes it 644)", () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { bin: { mtl: string }; scripts: Record<string, string> };
  for (const script of ["build", "prepare"]) assert.match(pkg.scripts[script]!, new RegExp(`chmodSync\\('${pkg.bin.mtl}', 0o755\\)`), script);
  assert.ok((statSync(join(ROOT, pkg.bin.mtl)).mode & 0o111) !== 0, `${pkg.bin.mtl} is not executable: run npm run build`);
  assert.match(readFileSync(join(ROOT, pkg.bin.mtl), "utf8"), /^#!\/usr\/bin\/env node\n/);
});

test("the CLI does not depend on the working directory (finds its own package.json)", () => {
  const result = runCli(CLI, ["check", join(ROOT, "specs", "mmoe.mtl")], { cwd: tmp.dir });
  assert.equal(result.status, 0, result.stderr);
  const version = runCli(CLI, ["--version"], { cwd: tmp.dir });
  assert.equal(version.status, 0, version.stderr);
});

test("check --fix applies the unambiguous fixes to the file, reports what is left, and leaves clean files untouched", () => {
  const typos = join(tmp.dir, "fix-typos.mtl");
  writeFileSync(typos, MMOE.replace("mlp(g_ctr,", "mlp(g_ctrr,").replace("softmax(x)", "softmax(xx)"));
  const fixed = runCli(CLI, ["check", "--fix", typos]);
  assertNoCrash(fixed, "check --fix");
  assert.equal(fixed.status, 0, fixed.stdout + fixed.stderr);
  assert.match(fixed.stderr, /fix-typos\.mtl: applied 2 fixes/);
  assert.equal(readFileSync(typos, "utf8"), MMOE);

  const clean = join(tmp.dir, "fix-clean.mtl");
  writeFileSync(clean, MMOE);
  const untouched = runCli(CLI, ["check", "--fix", clean]);
  assert.equal(untouched.status, 0);
  assert.equal(untouched.stderr, "", "nothing to fix, nothing said");
  assert.equal(readFileSync(clean, "utf8"), MMOE);

  // An error without a suggestion stays, and the exit code says so.
  const unfixable = join(tmp.dir, "fix-unfixable.mtl");
  writeFileSync(unfixable, MMOE.replace("mlp(g_ctr,", "mlp(qqqqqqqq,"));
  const left = runCli(CLI, ["check", "--fix", unfixable]);
  assert.equal(left.status, 1);
  assert.match(left.stdout, /qqqqqqqq/);
});

test("check --fix keeps the file's mode, BOM and CRLF line endings, and writes through a link", () => {
  const crlf = (text: string) => text.replace(/\n/g, "\r\n");
  const typos = MMOE.replace("mlp(g_ctr,", "mlp(g_ctrr,");
  const real = join(tmp.dir, "fix-styled.mtl");
  writeFileSync(real, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(crlf(typos))]));
  chmodSync(real, 0o600);
  symlinkSync("fix-styled.mtl", join(tmp.dir, "fix-link.mtl"));
  const fixed = runCli(CLI, ["check", "--fix", "fix-link.mtl"], { cwd: tmp.dir });
  assert.equal(fixed.status, 0, fixed.stdout + fixed.stderr);
  assert.ok(lstatSync(join(tmp.dir, "fix-link.mtl")).isSymbolicLink(), "the link stays a link");
  assert.equal(statSync(real).mode & 0o777, 0o600, "a private spec stays private");
  assert.deepEqual(readFileSync(real), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(crlf(MMOE))]), "BOM and CRLF kept");
});

test("check refuses a spec larger than MAX_SPEC_BYTES (/dev/zero) with a usage error instead of reading it all", () => {
  assertUsageError(runCli(CLI, ["check", "/dev/zero"]), "check /dev/zero", /cannot read '\/dev\/zero': it is larger than 8 MiB, the most a spec may have/);
});

/**
 * Hostile inputs: each must give diagnostics (never an exception, a hang or a
 * stack overflow), both from compileSource and through the CLI. Timings are
 * printed as test diagnostics; only a generous bound (to catch hangs) is asserted.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { test, type TestContext } from "node:test";
import { compileSource, type CompileResult } from "../../src/compiler.js";
import { validateIr } from "../../src/ir/validate.js";
import { assertNoCrash, runCli, tempDir, type CliResult } from "../helpers/cli.js";
import { assertWellFormed, errorsOf } from "../helpers/diagnostics.js";
import { cliFrom, exampleSpecs } from "../helpers/paths.js";
import { seededBytes } from "../helpers/random.js";

const CLI = cliFrom(import.meta.url);
const SPECS = exampleSpecs().map((path) => ({ name: basename(path), text: readFileSync(path, "utf8") }));
const MMOE = SPECS.find((s) => s.name === "mmoe.mtl")!.text;
const tmp = tempDir("pathological");

/** Only meant to catch hangs and runaway work; real timings are printed. */
const SAFETY_MS = 15_000;
const CLI_SAFETY_MS = 30_000;
const MB = 1 << 20;

/** compileSource must not throw, must report well-formed diagnostics, and must be done in time. */
function compileTimed(t: TestContext, label: string, source: string | Uint8Array, file = "spec.mtl"): CompileResult {
  const started = performance.now();
  let result: CompileResult;
  try {
    result = compileSource(source, file);
  } catch (error) {
    assert.fail(`${label}: compileSource threw: ${(error as Error).stack?.split("\n").slice(0, 6).join("\n")}`);
  }
  const ms = performance.now() - started;
  t.diagnostic(`${label}: compileSource ${ms.toFixed(0)} ms, ${result.diagnostics.length} diagnostics`);
  assert.ok(ms < SAFETY_MS, `${label}: compileSource took ${ms.toFixed(0)} ms`);
  assertWellFormed(result.diagnostics, result.text, file, label);
  return result;
}

/** At least one error, and then no IR. */
function assertHasErrors(result: CompileResult, label: string): void {
  assert.ok(errorsOf(result.diagnostics).length > 0, `${label}: no error reported`);
  assert.equal(result.ir, undefined, `${label}: an IR was produced despite errors`);
}

/**
 * `mtl check` on several files at once (one process start-up, not one per
 * file): the expected exit code, no crash, output of sane size. Returns the
 * human output split per file (header lines name the file).
 */
function checkViaCli(t: TestContext, label: string, files: Record<string, string | Uint8Array>, expectedStatus = 1): CliResult {
  const paths = Object.entries(files).map(([name, content]) => {
    const path = join(tmp.dir, name);
    writeFileSync(path, content);
    return path;
  });
  const result = runCli(CLI, ["check", ...paths]);
  t.diagnostic(`${label}: mtl check of ${paths.length} file(s) ${result.ms.toFixed(0)} ms`);
  assertNoCrash(result, label);
  assert.equal(result.status, expectedStatus, `${label}: exit ${result.status}; stderr: ${result.stderr.slice(0, 500)}`);
  assert.ok(result.ms < CLI_SAFETY_MS, `${label}: mtl check took ${result.ms.toFixed(0)} ms`);
  assert.ok(result.stdout.length < 4 * MB, `${label}: ${result.stdout.length} characters of output`);
  if (expectedStatus === 1) {
    for (const path of paths) assert.ok(result.stdout.includes(`${path}:`), `${label}: nothing reported for ${basename(path)}`);
  }
  return result;
}

test("random binary garbage (64 KiB, fixed seed)", (t) => {
  const garbage = seededBytes(64 * 1024, 0xc0ffee);
  const result = compileTimed(t, "garbage", garbage);
  assertHasErrors(result, "garbage");
  assert.ok(result.diagnostics.some((d) => d.code === "MTL1004"), "invalid UTF-8 not reported");
  assert.equal(result.diagnostics.filter((d) => d.code === "MTL1004").length, 1, "invalid UTF-8 must be reported once per file");
  checkViaCli(t, "garbage", { "garbage.mtl": garbage });
});

/** Places to cut each example spec, each certain to leave an error behind. */
function truncations(text: string): { label: string; at: number }[] {
  const find = (needle: string, from = 0) => {
    const i = text.indexOf(needle, from);
    assert.ok(i >= 0, `'${needle}' not in spec`);
    return i;
  };
  const model = find("\nmodel ");
  const secondFeature = find("\nfeature ", find("\nfeature ") + 1);
  const mlp = find("= mlp(");
  const task = find("\ntask ");
  const train = find("\ntrain {");
  const lr = find("lr: 0.0", train);
  return [
    { label: "mid-string (model description)", at: find('"', model) + 4 },
    { label: "mid-keyword ('fea' of a feature)", at: secondFeature + 4 },
    { label: "mid-call (inside mlp arguments)", at: mlp + "= mlp(".length + 2 },
    { label: "mid-list (inside the layer list)", at: find("[", mlp) + 2 },
    { label: "after a task's colon", at: find(":", task) + 1 },
    { label: "mid-block (train, no closing brace)", at: train + "\ntrain {".length + 6 },
    { label: "mid-number (inside the learning rate)", at: lr + "lr: 0.0".length },
    { label: "last character dropped (the closing brace)", at: text.trimEnd().length - 1 },
  ];
}

test("example specs truncated mid-token, mid-string and mid-block each report errors", (t) => {
  const files: string[] = [];
  for (const spec of SPECS) {
    for (const { label, at } of truncations(spec.text)) {
      const cut = spec.text.slice(0, at);
      const name = `${spec.name}@${at}.mtl`;
      const result = compileTimed(t, `${spec.name} ${label}`, cut, name);
      assertHasErrors(result, `${spec.name} cut ${label}`);
      if (label.startsWith("mid-string")) {
        const unterminated = result.diagnostics.find((d) => d.code === "MTL1002");
        assert.ok(unterminated, `${spec.name}: unterminated string not reported`);
        assert.equal(unterminated.range.start.line, cut.split("\n").length, "MTL1002 is not on the last line");
      }
      writeFileSync(join(tmp.dir, name), cut);
      files.push(name);
    }
  }
  // One CLI run over all the truncated files: every file has an error.
  const result = runCli(CLI, ["check", "--format", "json", ...files], { cwd: tmp.dir });
  t.diagnostic(`mtl check of ${files.length} truncated specs: ${result.ms.toFixed(0)} ms`);
  assertNoCrash(result, "truncated specs");
  assert.equal(result.status, 1);
  const reported = JSON.parse(result.stdout) as { file: string; severity: string }[];
  for (const file of files) assert.ok(reported.some((d) => d.file === file && d.severity === "error"), `${file}: no error through the CLI`);
});

test("every prefix of every example spec compiles without throwing (sampled every 29 characters)", (t) => {
  const started = performance.now();
  let count = 0;
  for (const spec of SPECS) {
    for (let at = 0; at <= spec.text.length; at += 29) {
      const prefix = spec.text.slice(0, at);
      let result: CompileResult;
      try {
        result = compileSource(prefix, spec.name);
      } catch (error) {
        assert.fail(`${spec.name} cut at ${at} (${JSON.stringify(prefix.slice(-30))}): threw ${(error as Error).message}`);
      }
      assertWellFormed(result.diagnostics, result.text, spec.name, `${spec.name} cut at ${at}`);
      assert.equal(result.ir === undefined, errorsOf(result.diagnostics).length > 0, `${spec.name} cut at ${at}: IR presence disagrees with errors`);
      count++;
    }
  }
  t.diagnostic(`${count} prefixes in ${(performance.now() - started).toFixed(0)} ms`);
});

test("a single 1 MB line: of identifiers, one identifier, digits, '('", (t) => {
  const words: string[] = [];
  for (let i = 0, size = 0; size < MB; i++) {
    const w = `name_${i}`;
    words.push(w);
    size += w.length + 1;
  }
  const identifiers = MMOE + words.join(" ") + "\n";
  const result = compileTimed(t, "1 MB of identifiers after a valid spec", identifiers);
  assertHasErrors(result, "1 MB of identifiers");
  assert.equal(errorsOf(result.diagnostics)[0]!.range.start.line, MMOE.split("\n").length, "the first error is not on the long line");

  const identifier = "model m\n" + "a".repeat(MB) + "\n";
  assertHasErrors(compileTimed(t, "one 1 MB identifier", identifier), "one 1 MB identifier");

  const digits = "model m\n" + "7".repeat(MB) + "\n";
  const number = compileTimed(t, "1 MB of digits", digits);
  assertHasErrors(number, "1 MB of digits");
  assert.ok(number.diagnostics.some((d) => d.code === "MTL1006"), "a number too large to represent is not reported");

  const parens = "(".repeat(MB);
  const open = compileTimed(t, "1 MB of (", parens);
  assertHasErrors(open, "1 MB of (");
  assert.equal(open.diagnostics.filter((d) => d.code === "MTL1005").length, 1, "too-deep nesting should be reported once");

  for (const r of [result, number, open]) {
    assert.ok(r.diagnostics.every((d) => d.message.length < 1000), "a message quotes a whole 1 MB token");
  }
  const cli = checkViaCli(t, "1 MB lines", { "idents.mtl": identifiers, "ident.mtl": identifier, "digits.mtl": digits, "parens-line.mtl": parens });
  // Excerpts of long lines are windowed: 4 files of 1 MB must not print megabytes.
  assert.ok(cli.stdout.length < 20_000, `long lines should be windowed, got ${cli.stdout.length} characters`);
});

/** The nesting depth (counting ( [ {) at a given offset, the bracket there included. */
function depthAt(text: string, offset: number): number {
  let depth = 0;
  for (let i = 0; i <= offset; i++) {
    const c = text[i];
    if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") depth--;
  }
  return depth;
}

function assertNestingReported(result: CompileResult, source: string, label: string): void {
  const deep = result.diagnostics.filter((d) => d.code === "MTL1005");
  assert.equal(deep.length, 1, `${label}: expected one MTL1005, got ${deep.length}`);
  const limit = Number(/more than (\d+) levels/.exec(deep[0]!.message)?.[1]);
  assert.ok(limit > 1 && limit < 10_000, `${label}: no limit in '${deep[0]!.message}'`);
  const at = deep[0]!.range.start.offset;
  assert.ok("([{".includes(source[at]!), `${label}: MTL1005 does not point at a bracket`);
  assert.equal(depthAt(source, at), limit + 1, `${label}: MTL1005 should point at the first bracket deeper than ${limit}`);
}

test("10,000 nested '[' inside an mlp layer list", (t) => {
  const source = MMOE.replace("mlp(x, [64], activation: relu)", `mlp(x, ${"[".repeat(10_000)}64${"]".repeat(10_000)}, activation: relu)`);
  assert.notEqual(source, MMOE);
  const result = compileTimed(t, "10,000 nested [", source);
  assertHasErrors(result, "10,000 nested [");
  assertNestingReported(result, source, "10,000 nested [");
  assert.equal(result.diagnostics.find((d) => d.code === "MTL1005")!.range.start.line, MMOE.slice(0, MMOE.indexOf("mlp(x, [64]")).split("\n").length);
  checkViaCli(t, "10,000 nested [", { "brackets.mtl": source });
});

test("10,000 nested '(' (unclosed, and closed)", (t) => {
  const files: Record<string, string> = {};
  for (const [label, source] of [
    ["10,000 unclosed (", `model m\nfeature a : numeric(${"(".repeat(10_000)}\n`],
    ["10,000 closed (", `model m\nfeature a : numeric(${"(".repeat(10_000)}${")".repeat(10_000)})\n`],
  ] as const) {
    const result = compileTimed(t, label, source);
    assertHasErrors(result, label);
    assertNestingReported(result, source, label);
    files[`parens-${Object.keys(files).length}.mtl`] = source;
  }
  checkViaCli(t, "10,000 nested (", files);
});

/** The spec's bytes with `bytes` inserted at 1-based (line, column); the line must be ASCII up to there. */
function withBytes(text: string, line: number, column: number, bytes: number[], eol = "\n"): Buffer {
  const lines = text.split("\n");
  const target = lines[line - 1]!;
  assert.ok(/^[\x00-\x7f]*$/.test(target.slice(0, column - 1)), "fixture line is not ASCII before the insertion point");
  const before = [...lines.slice(0, line - 1), target.slice(0, column - 1)].join(eol);
  const after = [target.slice(column - 1), ...lines.slice(line)].join(eol);
  return Buffer.concat([Buffer.from(before, "utf8"), Buffer.from(bytes), Buffer.from(after, "utf8")]);
}

function lineOf(text: string, needle: string): number {
  const i = text.indexOf(needle);
  assert.ok(i >= 0, `'${needle}' not found`);
  return text.slice(0, i).split("\n").length;
}

test("invalid UTF-8 inside an otherwise valid spec: MTL1004 points at the bad bytes", (t) => {
  const comment = lineOf(MMOE, "## g_ctr and g_cvr");
  const feature = lineOf(MMOE, "feature item_id");
  const model = lineOf(MMOE, 'model mmoe "');
  const cases: { label: string; bytes: Buffer; line: number; column: number; count: number; only?: boolean }[] = [
    { label: "0xff 0xfe in a comment", bytes: withBytes(MMOE, comment, 10, [0xff, 0xfe]), line: comment, column: 10, count: 2, only: true },
    { label: "0xff 0xfe inside a name", bytes: withBytes(MMOE, feature, 12, [0xff, 0xfe]), line: feature, column: 12, count: 2 },
    { label: "truncated 3-byte sequence in a string", bytes: withBytes(MMOE, model, 20, [0xe2, 0x82]), line: model, column: 20, count: 1, only: true },
    { label: "lone continuation byte at a line start", bytes: withBytes(MMOE, feature, 1, [0x80]), line: feature, column: 1, count: 1 },
    { label: "truncated sequence at the end of the file", bytes: Buffer.concat([Buffer.from(MMOE), Buffer.from([0xf0, 0x9f, 0x98])]), line: MMOE.split("\n").length, column: 1, count: 1 },
    { label: "0xff in a CRLF file", bytes: withBytes(MMOE, comment, 10, [0xff], "\r\n"), line: comment, column: 10, count: 1, only: true },
    { label: "0xff in a CR-only file", bytes: withBytes(MMOE, comment, 10, [0xff], "\r"), line: comment, column: 10, count: 1, only: true },
  ];
  const files: Record<string, Uint8Array> = {};
  for (const [i, c] of cases.entries()) {
    const result = compileTimed(t, c.label, c.bytes);
    assertHasErrors(result, c.label);
    const invalid = result.diagnostics.filter((d) => d.code === "MTL1004");
    assert.equal(invalid.length, 1, `${c.label}: MTL1004 should be reported once, got ${invalid.length}`);
    const d = invalid[0]!;
    assert.deepEqual([d.range.start.line, d.range.start.column], [c.line, c.column], `${c.label}: MTL1004 at the wrong place`);
    if (c.count > 1) assert.match(d.message, new RegExp(`\\b${c.count} invalid byte sequences`), `${c.label}: wrong count in '${d.message}'`);
    else assert.doesNotMatch(d.message, /invalid byte sequences/, `${c.label}: one bad sequence reported as several`);
    if (c.only) assert.deepEqual(result.diagnostics.map((x) => x.code), ["MTL1004"], `${c.label}: bad bytes in a comment or string should cause no other diagnostic`);
    files[`utf8-${i}.mtl`] = c.bytes;
  }
  const cli = checkViaCli(t, "invalid UTF-8", files);
  for (const [i, c] of cases.entries()) {
    assert.match(cli.stdout, new RegExp(`utf8-${i}\\.mtl:${c.line}:${c.column}: error MTL1004: `), `${c.label}: CLI header`);
  }
});

test("an empty file, a file of whitespace, and files of only comments report the missing model", (t) => {
  const files: Record<string, string> = {};
  for (const [label, source] of [
    ["empty file", ""],
    ["only newlines", "\n\n\r\n\n"],
    ["only comments", "# one\n# two\n   # three\n"],
    ["only doc comments", "## one\n## two\n"],
    ["only a BOM", "\ufeff"],
  ] as const) {
    const result = compileTimed(t, label, source);
    assertHasErrors(result, label);
    assert.ok(result.diagnostics.some((d) => d.code === "MTL2004"), `${label}: missing model not reported`);
    assert.ok(result.diagnostics.some((d) => d.code === "MTL5006"), `${label}: missing tasks not reported`);
    files[`empty-${Object.keys(files).length}.mtl`] = source;
  }
  checkViaCli(t, "empty and comment-only files", files);
});

/** n towers, each reading the one before; `reversed` declares them last-first (uses before declarations). */
function towerChain(n: number, reversed: boolean, cyclic = false): string {
  const head = ["model chain", "feature a : numeric()", "input x = concat(a)", `tower t0 = mlp(${cyclic ? `t${n - 1}` : "x"}, [4])`];
  const chain: string[] = [];
  for (let i = 1; i < n; i++) chain.push(`tower t${i} = mlp(t${i - 1}, [4])`);
  if (reversed) chain.reverse();
  return [...head, ...chain, `task c : binary = t${n - 1} label click`].join("\n") + "\n";
}

/** ESMM-style chain of products: c_i = c_(i-1) * d_i, the last one labelled. */
function taskChain(declarations: number): string {
  const pairs = Math.floor((declarations - 6) / 2);
  const lines = ["model chain", "feature a : numeric()", "input x = concat(a)", "tower t = mlp(x, [4])", "task c0 : binary = t"];
  for (let i = 1; i <= pairs; i++) lines.push(`task d${i} : binary = t`, `task c${i} : binary = c${i - 1} * d${i}${i === pairs ? " label click" : ""}`);
  return lines.join("\n") + "\n";
}

test("2,000 declarations in one dependency chain: no stack overflow, in either declaration order", (t) => {
  const files: Record<string, string> = {};
  for (const [label, source] of [
    ["2,000 towers in order", towerChain(2_000, false)],
    ["2,000 towers, last declared first", towerChain(2_000, true)],
    ["2,000 tasks in one product chain", taskChain(2_000)],
  ] as const) {
    const result = compileTimed(t, label, source);
    assert.deepEqual(result.diagnostics.map((d) => d.message), [], `${label}: a valid chain reported problems`);
    assert.ok(result.ir, `${label}: no IR`);
    assert.deepEqual(validateIr(result.ir), []);
    files[`chain-${Object.keys(files).length}.mtl`] = source;
  }
  checkViaCli(t, "2,000-declaration chains", files, 0);
});

test("2,000 declarations in one cycle: the cycle is reported once, no stack overflow", (t) => {
  const source = towerChain(2_000, true, true);
  const result = compileTimed(t, "2,000-long cycle", source);
  assertHasErrors(result, "2,000-long cycle");
  const cycles = result.diagnostics.filter((d) => d.code === "MTL4001");
  assert.equal(cycles.length, 1, "one cycle, one report");
  assert.match(cycles[0]!.message, /t1999 -> .* -> t1999|t0 -> .* -> t0/);
  checkViaCli(t, "2,000-long cycle", { "cycle.mtl": source });
});

// graph.ts promises a chain "cannot overflow the stack"; a larger spec shows
// whether every pass keeps that promise.
test("20,000 towers in one chain, last declared first: no stack overflow", (t) => {
  const source = towerChain(20_000, true);
  const result = compileTimed(t, "20,000 towers, last declared first", source);
  assert.deepEqual(result.diagnostics.map((d) => d.message), []);
  assert.ok(result.ir);
  checkViaCli(t, "20,000 towers, last declared first", { "chain20k.mtl": source }, 0);
});

test("20,000 tasks in one product chain: no stack overflow", (t) => {
  const source = taskChain(20_000);
  const result = compileTimed(t, "20,000 tasks in one product chain", source);
  assert.deepEqual(result.diagnostics.map((d) => d.message), []);
  assert.ok(result.ir);
  checkViaCli(t, "20,000 tasks in one product chain", { "tasks20k.mtl": source }, 0);
});

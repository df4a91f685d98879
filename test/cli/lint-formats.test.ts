import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { CATALOG } from "../../src/diagnostics/catalog.js";
import { assertNoCrash, runCli, tempDir } from "../helpers/cli.js";
import { cliFrom } from "../helpers/paths.js";

const CLI = cliFrom(import.meta.url);
const { dir } = tempDir("lint");

/** An error (unknown name, line 7) and a warning (unused feature, line 3). */
const SPEC = "model m\nfeature a : numeric()\nfeature b : numeric()\ninput x = concat(a)\ntower t = mlp(x, [4])\ntask ctr : binary = t label click\ntask c2 : binary = nowhere label click\n";
const WARN_ONLY = "model m\nfeature a : numeric()\nfeature b : numeric()\ninput x = concat(a)\ntower t = mlp(x, [4])\ntask ctr : binary = t label click\n";
writeFileSync(join(dir, "ew.mtl"), SPEC);
writeFileSync(join(dir, "w.mtl"), WARN_ONLY);

const UNUSED = "Feature 'b' is declared but never used. Use it, or remove it.";
const UNKNOWN = "Cannot find 'nowhere'. Declare it, or fix the spelling.";

function check(...args: string[]) {
  const result = runCli(CLI, ["check", ...args], { cwd: dir });
  assertNoCrash(result, args.join(" "));
  return result;
}

test("--format stylish: grouped per file, aligned rows, a count", () => {
  const result = check("--format", "stylish", "ew.mtl");
  assert.equal(result.status, 1);
  assert.equal(
    result.stdout,
    [
      "ew.mtl",
      `  3:9   warning  ${UNUSED}  MTL2006`,
      `  7:20  error    ${UNKNOWN.padEnd(UNUSED.length)}  MTL2001`,
      "",
      "\u2716 2 problems (1 error, 1 warning)",
      "",
    ].join("\n"),
  );
  assert.equal(check("--format", "stylish", "../" + dir.split("/").pop() + "/w.mtl").status, 0);
});

test("--format gnu: file:line.col-line.col: severity: message [CODE]", () => {
  const result = check("--format", "gnu", "ew.mtl");
  assert.equal(result.status, 1);
  assert.equal(result.stdout, `ew.mtl:3.9-3.9: warning: ${UNUSED} [MTL2006]\new.mtl:7.20-7.26: error: ${UNKNOWN} [MTL2001]\n`);
});

test("--format json is unchanged", () => {
  const result = check("--format", "json", "ew.mtl");
  const json = JSON.parse(result.stdout) as { code: string; rule: string; severity: string; range: unknown }[];
  assert.deepEqual(
    json.map((d) => [d.code, d.rule, d.severity, d.range]),
    [
      ["MTL2006", "unused-declaration", "warning", { start: { line: 3, column: 9 }, end: { line: 3, column: 10 } }],
      ["MTL2001", "unknown-name", "error", { start: { line: 7, column: 20 }, end: { line: 7, column: 27 } }],
    ],
  );
});

test("--format sarif: a structurally valid SARIF 2.1.0 log", () => {
  const result = check("--format", "sarif", "ew.mtl");
  assert.equal(result.status, 1);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const log = JSON.parse(result.stdout) as any;
  assert.equal(log.version, "2.1.0");
  assert.match(log.$schema, /sarif-2\.1\.0/);
  assert.equal(log.runs.length, 1);
  const run = log.runs[0];
  const driver = run.tool.driver;
  assert.equal(driver.name, "mtl");
  assert.match(driver.version, /^\d+\.\d+\.\d+/);
  const rules = driver.rules as { id: string; name: string; shortDescription: { text: string }; defaultConfiguration: { level: string } }[];
  assert.deepEqual(rules.map((r) => r.id), Object.keys(CATALOG), "one rule per catalog code, id = the code");
  assert.equal(new Set(rules.map((r) => r.id)).size, rules.length, "rule ids unique");
  assert.equal(new Set(rules.map((r) => r.name)).size, rules.length, "rule names unique");
  for (const rule of rules) {
    const entry = CATALOG[rule.id as keyof typeof CATALOG];
    assert.equal(rule.name, entry.id);
    assert.match(rule.name, /^[a-z0-9]+(-[a-z0-9]+)*$/);
    assert.ok(rule.shortDescription.text.length > 0);
    assert.equal(rule.defaultConfiguration.level, entry.severity);
  }
  const results = run.results as any[];
  assert.equal(results.length, 2);
  for (const r of results) {
    assert.ok(rules.some((rule) => rule.id === r.ruleId), `${r.ruleId} is a rule`);
    assert.equal(rules[r.ruleIndex]!.id, r.ruleId);
    assert.ok(["error", "warning", "note"].includes(r.level));
    assert.ok(r.message.text.length > 0);
    const loc = r.locations[0].physicalLocation;
    assert.equal(loc.artifactLocation.uri, "ew.mtl");
    for (const key of ["startLine", "startColumn", "endLine", "endColumn"]) assert.ok(Number.isInteger(loc.region[key]) && loc.region[key] >= 1, key);
  }
  assert.deepEqual(results.map((r) => [r.ruleId, r.level, r.message.text, r.locations[0].physicalLocation.region]), [
    ["MTL2006", "warning", UNUSED, { startLine: 3, startColumn: 9, endLine: 3, endColumn: 10 }],
    ["MTL2001", "error", UNKNOWN, { startLine: 7, startColumn: 20, endLine: 7, endColumn: 27 }],
  ]);
  const clean = JSON.parse(check("--format", "sarif", "w.mtl", "--max-warnings", "5").stdout);
  assert.equal(clean.runs[0].results.length, 1);
});

test("human stays the default and a valid value", () => {
  const a = check("ew.mtl");
  const b = check("--format", "human", "ew.mtl");
  assert.equal(a.stdout, b.stdout);
  assert.match(a.stdout, /^ew\.mtl:7:20: error MTL2001: /m);
  assert.equal(check("--format", "xml", "ew.mtl").status, 2);
});

test("--max-warnings: warnings fail only beyond the limit", () => {
  assert.equal(check("w.mtl").status, 0, "warnings never fail by default");
  assert.equal(check("--max-warnings", "1", "w.mtl").status, 0);
  const over = check("--max-warnings", "0", "w.mtl");
  assert.equal(over.status, 1);
  assert.match(over.stderr, /more than --max-warnings 0/);
  assert.equal(check("--max-warnings", "5", "ew.mtl").status, 1, "errors still fail");
  assert.equal(check("--max-warnings", "-1", "w.mtl").status, 2);
  assert.equal(check("--max-warnings", "many", "w.mtl").status, 2);
});

test("mtl lint is mtl check", () => {
  const lint = runCli(CLI, ["lint", "--format", "gnu", "ew.mtl"], { cwd: dir });
  assert.equal(lint.status, 1);
  assert.equal(lint.stdout, check("--format", "gnu", "ew.mtl").stdout);
});

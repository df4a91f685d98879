/**
 * `mtl inspect` end to end: the gate tables, JSON and SARIF output, the
 * heatmap, and a saved model whose gate was forced onto one expert by hand.
 */
import assert from "node:assert/strict";
import { cpSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { assertUsageError, tempDir, type CliResult } from "../helpers/cli.js";
import { setSavedWeight } from "../helpers/model-folder.js";
import { cliFrom, repoRoot } from "../helpers/paths.js";
import { assertOk, runCliAsync } from "../helpers/train-cli.js";

const cli = cliFrom(import.meta.url);
const { dir } = tempDir("inspect-cli");
const mtl = (args: readonly string[]): Promise<CliResult> => runCliAsync(cli, args, { cwd: dir });

interface InspectJson {
  rows: number;
  gates: { gate: string; tasks: string[]; experts: string[]; meanWeights: number[]; meanEntropy: number; effectiveExperts: number; dominantShare: number[] }[];
  pairs: { a: string; b: string; distance: number }[];
  diagnostics: { code: string; rule: string; severity: string; message: string; range: { start: { line: number } } }[];
}

let setup: CliResult[] = [];

describe("mtl inspect", { concurrency: 2 }, () => {
  before(async () => {
    setup = [
      await mtl(["generate", "esmm", "--rows", "600", "-o", "train.csv", "--holdout", "300", "--holdout-output", "valid.csv", "--seed", "3"]),
      await mtl(["train", join(repoRoot(), "specs", "mmoe.mtl"), "--data", "train.csv", "--out", "model", "--epochs", "1", "--max-steps", "2", "--quiet"]),
    ];
    if (setup.every((r) => r.status === 0)) {
      cpSync(join(dir, "model"), join(dir, "collapsed"), { recursive: true });
      // g_ctr ignores its input and puts a logit of 12 on expert 0: e^12 / (e^12 + 3) of the weight on every row.
      setSavedWeight(join(dir, "collapsed"), "gate_g_ctr/kernel", new Array(41 * 4).fill(0));
      setSavedWeight(join(dir, "collapsed"), "gate_g_ctr/bias", [12, 0, 0, 0]);
    }
  });

  function assertSetup(): void {
    assertOk(setup[0]!, "generate");
    assertOk(setup[1]!, "train");
  }

  test("JSON: per gate its tasks, mean weight per expert, entropy and effective experts; a heatmap beside it", async () => {
    assertSetup();
    const result = await mtl(["inspect", "model", "--data", "valid.csv", "--output-format", "json", "--heatmap", "out/gates.svg"]);
    assertOk(result, "inspect --json");
    const report = JSON.parse(result.stdout) as InspectJson;
    assert.equal(report.rows, 300);
    assert.deepEqual(report.gates.map((g) => [g.gate, g.tasks]), [["g_ctr", ["ctr"]], ["g_cvr", ["cvr"]]]);
    for (const g of report.gates) {
      assert.deepEqual(g.experts, ["e[0]", "e[1]", "e[2]", "e[3]"]);
      assert.ok(Math.abs(g.meanWeights.reduce((a, b) => a + b, 0) - 1) < 1e-5, `${g.gate}: weights sum to 1`);
      assert.ok(Math.abs(g.effectiveExperts - Math.exp(g.meanEntropy)) < 1e-9, `${g.gate}: effective experts = exp(entropy)`);
    }
    assert.deepEqual(report.pairs.map((p) => [p.a, p.b]), [["g_ctr", "g_cvr"]]);
    const svg = readFileSync(join(dir, "out/gates.svg"), "utf8");
    assert.ok(svg.includes(`data-row="g_ctr (ctr)"`) && svg.includes(`data-row="g_cvr (cvr)"`), "a heatmap row per gate");
  });

  test("a gate forced onto one expert is reported as MTL7001 at its line of spec.mtl, in human and SARIF output; exit 0", async () => {
    assertSetup();
    const [human, sarif] = await Promise.all([
      mtl(["inspect", "collapsed", "--data", "valid.csv"]),
      mtl(["inspect", "collapsed", "--data", "valid.csv", "--output-format", "sarif"]),
    ]);
    assertOk(human, "inspect human");
    const line = readFileSync(join(dir, "collapsed", "spec.mtl"), "utf8").split("\n").findIndex((l) => l.startsWith("gate g_ctr")) + 1;
    assert.match(human.stdout, new RegExp(`^collapsed/spec\\.mtl:${line}:6: warning MTL7001: Gate 'g_ctr' has collapsed onto expert e\\[0\\]: it gives it at least 0\\.9 of its weight on 100\\.0% of 300 rows`, "m"));
    assert.match(human.stdout, /^gate g_ctr \(ctr\): mean entropy 0\.00\d nats, effective experts 1\.00 of 4$/m);
    assert.ok(!human.stdout.includes("'g_cvr' has collapsed"), "the untouched gate is not flagged");
    assertOk(sarif, "inspect sarif");
    const log = JSON.parse(sarif.stdout) as { version: string; runs: { results: { ruleId: string; level: string; locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[] }[] }[] };
    assert.equal(log.version, "2.1.0");
    const results = log.runs[0]!.results.filter((r) => r.ruleId === "MTL7001");
    assert.equal(results.length, 1);
    assert.equal(results[0]!.level, "warning");
    assert.equal(results[0]!.locations[0]!.physicalLocation.artifactLocation.uri, "collapsed/spec.mtl");
    assert.equal(results[0]!.locations[0]!.physicalLocation.region.startLine, line);
  });

  test("--heatmap inside the model folder is refused", async () => {
    assertSetup();
    assertUsageError(await mtl(["inspect", "model", "--data", "valid.csv", "--heatmap", "model/gates.svg"]), "heatmap in model", /inside the model folder/);
  });
});

/**
 * Every experiment at its tiny size, end to end, into a temporary folder:
 * the report has its section, tables of finite numbers and verdicts, the
 * figures are well-formed SVG with the expected series, and the specs it
 * saved compile. This keeps `npm run experiments` from rotting.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { compileSource } from "../../src/compiler.js";
import { runExperiments } from "../../src/experiments/run.js";
import type { ExperimentId } from "../../src/experiments/report/types.js";
import { allElements, parseXml, textOf } from "./xml.js";

const VERDICTS = ["reproduced", "partly reproduced", "not reproduced"];

interface Expected {
  heading: RegExp;
  /** A table whose header starts with these cells; every data cell after the first must hold finite numbers only. */
  table: { header: string[]; rows: number };
  figures: Record<string, string[]>;
  /** Gate heatmaps (`mtl inspect`): file -> the row labels, a gate and its task each. */
  heatmaps?: Record<string, string[]>;
  specs: string[];
}

const EXPECTED: Record<ExperimentId, Expected> = {
  mmoe: {
    heading: /^## 1\. MMoE on synthetic tasks/m,
    table: { header: ["correlation", "Shared-Bottom", "OMoE", "MMoE"], rows: 2 },
    figures: {
      "mmoe-test-loss.svg": ["Shared-Bottom", "OMoE", "MMoE"],
      "mmoe-validation-curve-corr1.0.svg": ["Shared-Bottom", "OMoE", "MMoE"],
      "mmoe-validation-curve-corr0.5.svg": ["Shared-Bottom", "OMoE", "MMoE"],
    },
    heatmaps: {
      "mmoe-gates-corr1.0.svg": ["g_y1 (y1)", "g_y2 (y2)"],
      "mmoe-gates-corr0.5.svg": ["g_y1 (y1)", "g_y2 (y2)"],
    },
    specs: ["mmoe/shared-bottom.mtl", "mmoe/omoe.mtl", "mmoe/mmoe.mtl"],
  },
  esmm: {
    heading: /^## 1\. ESMM against sample-selection bias/m,
    table: { header: ["metric", "ESMM", "naive CVR", "naive CVR + CTR, shared embeddings", "ESCM²-IPS", "ESCM²-DR", "AITM"], rows: 4 },
    figures: { "esmm-auc.svg": ["ESMM", "naive CVR", "naive CVR + CTR, shared embeddings", "ESCM²-IPS", "ESCM²-DR", "AITM", "true probabilities"] },
    specs: ["esmm/esmm.mtl", "esmm/naive.mtl", "esmm/ctr.mtl", "esmm/naive-shared.mtl", "esmm/escm2-ips.mtl", "esmm/escm2-dr.mtl", "esmm/aitm.mtl"],
  },
  census: {
    heading: /^## 1\. Census-Income, a real data set/m,
    table: { header: ["model", "income > 50K: test AUC"], rows: 3 },
    figures: {
      "census-income-auc.svg": ["this run: mean ± std", "this run: best", "paper: mean", "paper: best"],
      "census-marital-auc.svg": ["this run: mean ± std", "this run: best", "paper: mean", "paper: best"],
    },
    heatmaps: { "census-gates.svg": ["g_income (income)", "g_marital (marital)"] },
    specs: ["census/shared-bottom.mtl", "census/omoe.mtl", "census/mmoe.mtl"],
  },
};

/** The rows of the first Markdown table whose header starts with `header`, as cells. */
function findTable(markdown: string, header: string[]): string[][] {
  const lines = markdown.split("\n");
  const cells = (line: string) => line.slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim());
  const start = lines.findIndex((l) => l.startsWith("|") && header.every((h, i) => cells(l)[i] === h));
  assert.ok(start >= 0, `no table headed ${header.join(" | ")}`);
  const rows: string[][] = [];
  for (let i = start + 2; i < lines.length && lines[i]!.startsWith("|"); i++) rows.push(cells(lines[i]!));
  return rows;
}

for (const id of Object.keys(EXPECTED) as ExperimentId[]) {
  test(`experiment '${id}' runs at tiny size and reports tables, figures and specs`, { timeout: 300_000 }, async (t) => {
    const expected = EXPECTED[id];
    const out = mkdtempSync(join(tmpdir(), `mtl-exp-${id}-`));
    t.after(() => rmSync(out, { recursive: true, force: true }));
    const { report, sections } = await runExperiments({ size: "tiny", only: [id], out, command: `test ${id}`, log: () => {} });
    assert.equal(report, join(out, "results.md"));
    const markdown = readFileSync(report, "utf8");
    assert.match(markdown, expected.heading);
    assert.match(markdown, /mtl \d+\.\d+\.\d+ \(git [0-9a-f]+|mtl \d+\.\d+\.\d+ \(git unknown/);
    assert.match(markdown, /Size \*\*tiny\*\*/);

    const rows = findTable(markdown, expected.table.header);
    assert.equal(rows.length, expected.table.rows);
    for (const row of rows) {
      for (const cell of row.slice(1)) {
        const numbers = cell.match(/-?\d+(\.\d+)?/g);
        assert.ok(numbers && numbers.every((n) => Number.isFinite(Number(n))), `cell '${cell}' of ${row.join(" | ")} should hold numbers`);
        assert.doesNotMatch(cell, /NaN|n\/a|Infinity/);
      }
    }

    const summary = findTable(markdown, ["experiment", "finding tested", "this run", "evidence"]);
    assert.equal(summary.length, sections[0]!.findings.length);
    assert.ok(summary.length >= 3);
    for (const row of summary) assert.ok(VERDICTS.includes(row[2]!.replace(/\*/g, "")), `verdict '${row[2]}'`);

    for (const [file, series] of Object.entries(expected.figures)) {
      const path = join(out, "results", file);
      assert.ok(markdown.includes(`](results/${file})`), `the report links ${file}`);
      const root = parseXml(readFileSync(path, "utf8"));
      assert.equal(root.name, "svg");
      const groups = allElements(root).filter((e) => e.attributes["class"] === "series");
      assert.deepEqual(groups.map((g) => g.attributes["data-series"]), series, file);
      assert.ok(groups.every((g) => g.children.length > 0), `${file}: every series draws something`);
      assert.ok(allElements(root).some((e) => e.attributes["class"] === "y-label" && textOf(e).length > 0), `${file}: y axis label`);
    }

    for (const [file, rowLabels] of Object.entries(expected.heatmaps ?? {})) {
      assert.ok(markdown.includes(`](results/${file})`), `the report links ${file}`);
      const root = parseXml(readFileSync(join(out, "results", file), "utf8"));
      const heatRows = allElements(root).filter((e) => e.attributes["class"] === "heatmap-row");
      assert.deepEqual(heatRows.map((r) => r.attributes["data-row"]), rowLabels, file);
      for (const row of heatRows) {
        const weights = allElements(row).filter((e) => e.attributes["class"] === "cell").map((e) => Number(e.attributes["data-value"]));
        assert.ok(weights.length > 1 && Math.abs(weights.reduce((a, b) => a + b, 0) - 1) < 0.01, `${file}: a gate's mean weights sum to 1 (${weights.join(", ")})`);
      }
    }

    for (const spec of expected.specs) {
      const path = join(out, "results", "specs", spec);
      assert.ok(markdown.includes(`](results/specs/${spec})`), `the report links ${spec}`);
      const result = compileSource(readFileSync(path, "utf8"), path);
      assert.deepEqual(result.diagnostics.filter((d) => d.severity === "error"), [], spec);
    }
  });
}

test("the command line refuses bad arguments with exit code 2 and prints usage", () => {
  const main = fileURLToPath(new URL("../../src/experiments/main.js", import.meta.url));
  assert.ok(existsSync(main), `compiled entry point not found at ${main}; build first`);
  for (const args of [["--size", "huge"], ["--only", "ple"], ["--bogus"]]) {
    const run = spawnSync(process.execPath, [main, ...args], { encoding: "utf8" });
    assert.equal(run.status, 2, `${args.join(" ")}: ${run.stderr}`);
    assert.match(run.stderr, /^error: /);
    assert.match(run.stderr, /usage: npm run experiments/);
  }
  const help = spawnSync(process.execPath, [main, "--help"], { encoding: "utf8" });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--size tiny\|reduced\|full/);
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { groupedChart } from "../../src/experiments/plot/grouped-chart.js";
import { heatmap } from "../../src/experiments/plot/heatmap.js";
import { linePlot } from "../../src/experiments/plot/line-plot.js";
import { linearScale, niceAxis, niceStep } from "../../src/experiments/plot/scale.js";
import { coord, escapeXml } from "../../src/experiments/plot/svg.js";
import { allElements, parseXml, textOf, type XmlElement } from "./xml.js";

const seriesNames = (root: XmlElement) => allElements(root).filter((e) => e.attributes["class"] === "series").map((e) => e.attributes["data-series"]);
const legendNames = (root: XmlElement) => allElements(root).filter((e) => e.attributes["class"] === "legend-item").map((e) => textOf(e));
const tickLabels = (root: XmlElement, axis: "x" | "y") => allElements(root).filter((e) => e.attributes["class"] === `${axis}-tick`).map((e) => textOf(e));

test("niceStep picks 1, 2 or 5 times a power of ten", () => {
  assert.equal(niceStep(0, 1, 5), 0.2);
  assert.equal(niceStep(0, 10, 5), 2);
  assert.equal(niceStep(0, 100, 4), 20);
  assert.equal(niceStep(0.93, 0.95, 5), 0.005);
  assert.equal(niceStep(0, 7, 1), 5);
  assert.equal(niceStep(0, 8, 1), 10);
  assert.equal(niceStep(3, 3, 5), 1);
});

test("niceAxis covers the data with round ticks on the frame", () => {
  const a = niceAxis(0.013, 0.0488);
  assert.ok(a.domain[0] <= 0.013 && a.domain[1] >= 0.0488);
  assert.deepEqual(a.ticks, [0.01, 0.02, 0.03, 0.04, 0.05]);
  assert.equal(a.decimals, 2);
  assert.deepEqual(niceAxis(5, 1).ticks, [1, 2, 3, 4, 5]);
  const flat = niceAxis(0.5, 0.5);
  assert.ok(flat.domain[0] < 0.5 && flat.domain[1] > 0.5, "a single value gets a span around it");
  assert.throws(() => niceAxis(0, Number.NaN), /finite/);
});

test("linearScale maps the domain onto the range, inverted ranges included", () => {
  const y = linearScale([0, 10], [400, 0]);
  assert.equal(y(0), 400);
  assert.equal(y(10), 0);
  assert.equal(y(2.5), 300);
  assert.equal(linearScale([1, 1], [0, 100])(1), 50);
});

test("escapeXml and coord keep the document well-formed and small", () => {
  assert.equal(escapeXml(`a<b & "c" 'd'>`), "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;");
  assert.equal(coord(1.23456), "1.23");
  assert.equal(coord(-0.004), "0");
  assert.throws(() => coord(Number.NaN), /non-finite/);
});

test("linePlot: valid SVG with a title, labelled axes, a legend and one group per series with error bars", () => {
  const svg = linePlot({
    title: "Loss <by> correlation",
    xLabel: "correlation",
    yLabel: "test MSE",
    xTicks: [0.5, 0.9, 1],
    series: [
      { name: "MMoE", points: [{ x: 1, y: 0.1, low: 0.09, high: 0.11 }, { x: 0.5, y: 0.2, low: 0.15, high: 0.25 }, { x: 0.9, y: 0.12 }] },
      { name: "OMoE & co", points: [{ x: 1, y: 0.1 }, { x: 0.5, y: 0.3 }, { x: 0.9, y: 0.15 }] },
    ],
    note: "mean ± std",
  });
  const root = parseXml(svg);
  assert.equal(root.name, "svg");
  assert.equal(root.attributes["xmlns"], "http://www.w3.org/2000/svg");
  assert.equal(textOf(root.children.find((c) => c.name === "title")!), "Loss <by> correlation");
  assert.deepEqual(seriesNames(root), ["MMoE", "OMoE & co"]);
  assert.deepEqual(legendNames(root), ["MMoE", "OMoE & co"]);
  assert.deepEqual(tickLabels(root, "x"), ["0.5", "0.9", "1.0"]);
  const yTicks = tickLabels(root, "y").map(Number);
  assert.ok(yTicks[0]! <= 0.09 && yTicks.at(-1)! >= 0.3, `y ticks ${yTicks} cover the data`);
  const all = allElements(root);
  assert.ok(all.some((e) => e.attributes["class"] === "x-label" && textOf(e) === "correlation"));
  assert.ok(all.some((e) => e.attributes["class"] === "y-label" && textOf(e) === "test MSE"));
  const mmoe = all.find((e) => e.attributes["data-series"] === "MMoE" && e.attributes["class"] === "series")!;
  assert.equal(mmoe.children.filter((c) => c.name === "path").length, 2, "two points have error bars");
  // The line runs through the points in x order, whatever order they were given in.
  const xs = mmoe.children.find((c) => c.name === "polyline")!.attributes["points"]!.split(" ").map((p) => Number(p.split(",")[0]));
  assert.deepEqual([...xs].sort((a, b) => a - b), xs);
});

test("linePlot refuses what it cannot draw", () => {
  assert.throws(() => linePlot({ title: "t", xLabel: "x", yLabel: "y", series: [] }), /no points/);
  assert.throws(() => linePlot({ title: "t", xLabel: "x", yLabel: "y", series: [{ name: "a", points: [{ x: 1, y: Number.NaN }] }] }), /not finite/);
});

test("groupedChart: bars from the baseline, or dots, one group per series", () => {
  const options = {
    title: "AUC",
    yLabel: "AUC",
    categories: ["click space", "entire space"],
    series: [
      { name: "ESMM", values: [{ value: 0.7, low: 0.68, high: 0.72 }, { value: 0.8 }] },
      { name: "naive", values: [{ value: 0.65 }, null] },
    ],
  };
  const bars = parseXml(groupedChart({ ...options, mark: "bar", baseline: 0.5 }));
  assert.deepEqual(seriesNames(bars), ["ESMM", "naive"]);
  assert.deepEqual(legendNames(bars), ["ESMM", "naive"]);
  assert.deepEqual(tickLabels(bars, "x"), ["click space", "entire space"]);
  assert.ok(Number(tickLabels(bars, "y")[0]) <= 0.5, "the axis includes the baseline");
  const group = (root: XmlElement, name: string) => allElements(root).find((e) => e.attributes["class"] === "series" && e.attributes["data-series"] === name)!;
  assert.equal(group(bars, "ESMM").children.filter((c) => c.name === "rect").length, 2);
  assert.equal(group(bars, "naive").children.filter((c) => c.name === "rect").length, 1, "null leaves a gap");
  assert.equal(group(bars, "ESMM").children.filter((c) => c.name === "path").length, 1, "one error bar");

  const dots = parseXml(groupedChart({ ...options, mark: "dot" }));
  assert.equal(group(dots, "ESMM").children.filter((c) => c.name === "rect").length, 0);
  assert.equal(group(dots, "ESMM").children.filter((c) => c.name === "circle").length, 2);
  assert.ok(Number(tickLabels(dots, "y")[0]) > 0.5, "dots zoom in on the values");
});

test("groupedChart refuses mismatched series", () => {
  assert.throws(() => groupedChart({ title: "t", yLabel: "y", mark: "bar", categories: ["a", "b"], series: [{ name: "s", values: [{ value: 1 }] }] }), /1 values for 2 categories/);
  assert.throws(() => groupedChart({ title: "t", yLabel: "y", mark: "dot", categories: ["a"], series: [{ name: "s", values: [null] }] }), /no values/);
});

test("heatmap: a row per series, a labelled cell per column, darker for larger values, grey for none", () => {
  const root = parseXml(
    heatmap({ title: "gates <&>", columns: ["e[0]", "e[1]", "shared"], rows: [{ label: "g_a (a)", values: [0.9, 0.1, null] }, { label: "g_b (b)", values: [0, 0.5, 0.5] }], xLabel: "expert" }),
  );
  const rows = allElements(root).filter((e) => e.attributes["class"] === "heatmap-row");
  assert.deepEqual(rows.map((r) => r.attributes["data-row"]), ["g_a (a)", "g_b (b)"]);
  const cells = (r: XmlElement) => allElements(r).filter((e) => e.attributes["class"] === "cell");
  assert.deepEqual(cells(rows[0]!).map((c) => c.attributes["data-value"]), ["0.9000", "0.1000", "none"]);
  assert.deepEqual(cells(rows[0]!).map((c) => textOf(c)), ["0.90", "0.10", ""]);
  const fill = (c: XmlElement) => allElements(c).find((e) => e.name === "rect")!.attributes["fill"]!;
  const darkness = (hex: string) => 765 - [1, 3, 5].reduce((s, i) => s + parseInt(hex.slice(i, i + 2), 16), 0);
  assert.ok(darkness(fill(cells(rows[0]!)[0]!)) > darkness(fill(cells(rows[0]!)[1]!)), "0.9 is darker than 0.1");
  assert.equal(fill(cells(rows[1]!)[0]!), "#ffffff", "0 is white");
  assert.throws(() => heatmap({ title: "t", columns: ["a"], rows: [{ label: "r", values: [1.5] }], xLabel: "x" }), /outside \[0, 1\]/);
  assert.throws(() => heatmap({ title: "t", columns: ["a", "b"], rows: [{ label: "r", values: [0.5] }], xLabel: "x" }), /has 1 values for 2 columns/);
});

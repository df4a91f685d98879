/**
 * What every plot shares: the title, the plot area, the y axis with its
 * ticks and grid lines, the x axis line and ticks, both axis labels and the
 * legend (one row under the title). Colours are the Okabe-Ito palette, which
 * colour-blind readers can tell apart; each series also has its own marker.
 */
import type { Axis, LinearScale } from "./scale.js";
import { linearScale } from "./scale.js";
import { coord, element, group, points, text } from "./svg.js";

export const PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"] as const;
export type Marker = "circle" | "square" | "triangle" | "diamond";
export const MARKERS: readonly Marker[] = ["circle", "square", "triangle", "diamond"];

export interface SeriesStyle {
  name: string;
  color: string;
  marker: Marker;
  /** Whether the series is drawn as a line (its legend entry then shows one). */
  line: boolean;
}

/** Series i gets colour i and marker i (cycling). */
export function seriesStyles(names: readonly string[], line: boolean): SeriesStyle[] {
  return names.map((name, i) => ({ name, color: PALETTE[i % PALETTE.length]!, marker: MARKERS[i % MARKERS.length]!, line }));
}

export function markerShape(marker: Marker, x: number, y: number, color: string, size = 4): string {
  const s = size;
  switch (marker) {
    case "circle":
      return element("circle", { cx: x, cy: y, r: s, fill: color });
    case "square":
      return element("rect", { x: x - s, y: y - s, width: 2 * s, height: 2 * s, fill: color });
    case "triangle":
      return element("polygon", { points: points([[x, y - s * 1.2], [x + s * 1.1, y + s * 0.9], [x - s * 1.1, y + s * 0.9]]), fill: color });
    case "diamond":
      return element("polygon", { points: points([[x, y - s * 1.3], [x + s * 1.3, y], [x, y + s * 1.3], [x - s * 1.3, y]]), fill: color });
  }
}

/** A vertical error bar from `low` to `high` (pixel y values) with short caps. */
export function errorBar(x: number, low: number, high: number, color: string): string {
  const cap = 4;
  const [l, h, x0, x1] = [coord(low), coord(high), coord(x - cap), coord(x + cap)];
  return element("path", { d: `M${x0},${l}H${x1}M${coord(x)},${l}V${h}M${x0},${h}H${x1}`, stroke: color, "stroke-width": 1.5, fill: "none" });
}

export interface FrameOptions {
  width: number;
  height: number;
  title: string;
  xLabel: string;
  yLabel: string;
  yAxis: Axis;
  /** Tick positions in pixels (from `plotArea`) and their labels. */
  xTicks: (area: PlotArea) => { x: number; label: string }[];
  legend: readonly SeriesStyle[];
  /** A line of small print under the x label (what the error bars mean, ...). */
  note?: string;
}

export interface PlotArea {
  left: number;
  right: number;
  top: number;
  bottom: number;
  /** Data y -> pixel y. */
  y: LinearScale;
}

const MARGIN = { top: 64, right: 24, bottom: 62, left: 72 };

export function plotArea(width: number, height: number, yAxis: Axis): PlotArea {
  const area = { left: MARGIN.left, right: width - MARGIN.right, top: MARGIN.top, bottom: height - MARGIN.bottom };
  return { ...area, y: linearScale(yAxis.domain, [area.bottom, area.top]) };
}

/** Rough text width for laying out the legend: no font metrics are available, so 7 px per character at 12 px (generous for Helvetica). */
function textWidth(s: string): number {
  return s.length * 7;
}

/** The frame's elements, drawn under the data. */
export function frame(o: FrameOptions): { area: PlotArea; parts: string[] } {
  const area = plotArea(o.width, o.height, o.yAxis);
  const parts: string[] = [];
  parts.push(text(o.title, { x: o.width / 2, y: 22, "text-anchor": "middle", "font-size": 15, "font-weight": "bold" }));

  const yTicks = o.yAxis.ticks.map((t) => {
    const y = area.y(t);
    return group({ class: "y-tick" }, [
      element("line", { x1: area.left, x2: area.right, y1: y, y2: y, stroke: "#e5e5e5" }),
      element("line", { x1: area.left - 5, x2: area.left, y1: y, y2: y, stroke: "#333" }),
      text(t.toFixed(o.yAxis.decimals), { x: area.left - 8, y: y + 4, "text-anchor": "end" }),
    ]);
  });
  const xTicks = o.xTicks(area).map(({ x, label }) =>
    group({ class: "x-tick" }, [
      element("line", { x1: x, x2: x, y1: area.bottom, y2: area.bottom + 5, stroke: "#333" }),
      text(label, { x, y: area.bottom + 19, "text-anchor": "middle" }),
    ]),
  );
  parts.push(group({ class: "axes" }, [
    ...yTicks,
    ...xTicks,
    element("path", { d: `M${area.left},${area.top}V${area.bottom}H${area.right}`, stroke: "#333", fill: "none" }),
    text(o.xLabel, { class: "x-label", x: (area.left + area.right) / 2, y: area.bottom + 40, "text-anchor": "middle" }),
    text(o.yLabel, { class: "y-label", x: 0, y: 0, transform: `translate(18 ${(area.top + area.bottom) / 2}) rotate(-90)`, "text-anchor": "middle" }),
  ]));
  if (o.note) parts.push(text(o.note, { x: o.width / 2, y: o.height - 6, "text-anchor": "middle", "font-size": 10, fill: "#555" }));

  const items: string[] = [];
  const totalWidth = o.legend.reduce((w, s) => w + 28 + textWidth(s.name) + 14, -14);
  let x = Math.max(area.left, (o.width - totalWidth) / 2);
  for (const s of o.legend) {
    items.push(group({ class: "legend-item", "data-series": s.name }, [
      ...(s.line ? [element("line", { x1: x, x2: x + 20, y1: 42, y2: 42, stroke: s.color, "stroke-width": 2 })] : []),
      markerShape(s.marker, x + 10, 42, s.color, 5),
      text(s.name, { x: x + 26, y: 46 }),
    ]));
    x += 28 + textWidth(s.name) + 14;
  }
  parts.push(group({ class: "legend" }, items));
  return { area, parts };
}

/**
 * A line plot of one or more series over a numeric x axis, each point with an
 * optional error bar (e.g. mean ± standard deviation over seeds). Series are
 * nudged sideways by a few pixels so that error bars at the same x stay apart.
 */
import { errorBar, frame, markerShape, seriesStyles } from "./frame.js";
import { linearScale, niceAxis } from "./scale.js";
import { document, element, group, points } from "./svg.js";

export interface LinePoint {
  x: number;
  y: number;
  /** Error bar ends, in data units; both or neither. */
  low?: number;
  high?: number;
}

export interface LineSeries {
  name: string;
  points: readonly LinePoint[];
}

export interface LinePlotOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly LineSeries[];
  /** Ticks at exactly these x values (e.g. the correlations tried); default: nice ticks over the data. */
  xTicks?: readonly number[];
  /** Decimals of the x tick labels when `xTicks` is given. Default: as many as the values need, at most 3. */
  xDecimals?: number;
  note?: string;
  width?: number;
  height?: number;
  /** Pixels between neighbouring series at the same x (default DODGE); 0 where a shift would misplace points. */
  dodge?: number;
}

/** Pixels between neighbouring series at the same x. */
const DODGE = 7;

export function linePlot(o: LinePlotOptions): string {
  const width = o.width ?? 640;
  const height = o.height ?? 420;
  const all = o.series.flatMap((s) => s.points);
  if (all.length === 0) throw new Error(`line plot '${o.title}' has no points`);
  for (const p of all) {
    if (![p.x, p.y, p.low ?? 0, p.high ?? 0].every(Number.isFinite)) throw new RangeError(`line plot '${o.title}': a point is not finite (${JSON.stringify(p)})`);
  }
  const ys = all.flatMap((p) => [p.y, p.low ?? p.y, p.high ?? p.y]);
  const yAxis = niceAxis(Math.min(...ys), Math.max(...ys));
  const xs = o.xTicks ?? niceAxis(Math.min(...all.map((p) => p.x)), Math.max(...all.map((p) => p.x))).ticks;
  const xMin = Math.min(...xs, ...all.map((p) => p.x));
  const xMax = Math.max(...xs, ...all.map((p) => p.x));
  // Explicit ticks sit inside the frame with a margin; nice ticks span it.
  const pad = o.xTicks ? (xMax - xMin || 1) * 0.06 : 0;
  const xDecimals = o.xDecimals ?? Math.min(3, Math.max(0, ...xs.map((v) => (String(v).split(".")[1] ?? "").length)));
  const styles = seriesStyles(o.series.map((s) => s.name), true);

  const { area, parts } = frame({
    width,
    height,
    title: o.title,
    xLabel: o.xLabel,
    yLabel: o.yLabel,
    yAxis,
    legend: styles,
    xTicks: (a) => {
      const x = linearScale([xMin - pad, xMax + pad], [a.left, a.right]);
      return xs.map((v) => ({ x: x(v), label: v.toFixed(xDecimals) }));
    },
    ...(o.note === undefined ? {} : { note: o.note }),
  });
  const x = linearScale([xMin - pad, xMax + pad], [area.left, area.right]);

  const series = o.series.map((s, i) => {
    const style = styles[i]!;
    const shift = (i - (o.series.length - 1) / 2) * (o.dodge ?? DODGE);
    const sorted = [...s.points].sort((a, b) => a.x - b.x);
    const at = (p: LinePoint) => [x(p.x) + shift, area.y(p.y)] as const;
    const children = [element("polyline", { points: points(sorted.map(at)), fill: "none", stroke: style.color, "stroke-width": 2 })];
    for (const p of sorted) {
      const [px, py] = at(p);
      if (p.low !== undefined && p.high !== undefined) children.push(errorBar(px, area.y(p.low), area.y(p.high), style.color));
      children.push(markerShape(style.marker, px, py, style.color));
    }
    return group({ class: "series", "data-series": s.name }, children);
  });
  return document(width, height, o.title, [...parts, ...series]);
}

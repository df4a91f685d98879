/**
 * Values per category and series, side by side within each category: bars
 * growing from a baseline (AUC bars from 0.5, chance level), or dots on a
 * zoomed axis where bars would hide small differences. Either mark takes an
 * optional error bar.
 */
import { errorBar, frame, markerShape, seriesStyles } from "./frame.js";
import { niceAxis } from "./scale.js";
import { document, element, group } from "./svg.js";

export interface GroupedValue {
  value: number;
  low?: number;
  high?: number;
}

export interface GroupedSeries {
  name: string;
  /** One per category, in order; null leaves a gap. */
  values: readonly (GroupedValue | null)[];
}

export interface GroupedChartOptions {
  title: string;
  xLabel?: string;
  yLabel: string;
  categories: readonly string[];
  series: readonly GroupedSeries[];
  mark: "bar" | "dot";
  /** Where bars start; the y axis always includes it. Default 0. Ignored for dots. */
  baseline?: number;
  note?: string;
  width?: number;
  height?: number;
}

export function groupedChart(o: GroupedChartOptions): string {
  const width = o.width ?? 640;
  const height = o.height ?? 420;
  for (const s of o.series) {
    if (s.values.length !== o.categories.length) {
      throw new Error(`grouped chart '${o.title}': series '${s.name}' has ${s.values.length} values for ${o.categories.length} categories`);
    }
  }
  const present = o.series.flatMap((s) => s.values.filter((v): v is GroupedValue => v !== null));
  if (present.length === 0) throw new Error(`grouped chart '${o.title}' has no values`);
  for (const v of present) {
    if (![v.value, v.low ?? 0, v.high ?? 0].every(Number.isFinite)) throw new RangeError(`grouped chart '${o.title}': a value is not finite (${JSON.stringify(v)})`);
  }
  const baseline = o.baseline ?? 0;
  const ys = present.flatMap((v) => [v.value, v.low ?? v.value, v.high ?? v.value]);
  if (o.mark === "bar") ys.push(baseline);
  const yAxis = niceAxis(Math.min(...ys), Math.max(...ys));
  // Bars are told apart by colour; their legend shows a filled square.
  const styles = seriesStyles(o.series.map((s) => s.name), false).map((s) => (o.mark === "bar" ? { ...s, marker: "square" as const } : s));
  const slot = (area: { left: number; right: number }) => (area.right - area.left) / o.categories.length;

  const { area, parts } = frame({
    width,
    height,
    title: o.title,
    xLabel: o.xLabel ?? "",
    yLabel: o.yLabel,
    yAxis,
    legend: styles,
    xTicks: (a) => o.categories.map((label, c) => ({ x: a.left + (c + 0.5) * slot(a), label })),
    ...(o.note === undefined ? {} : { note: o.note }),
  });
  const width1 = slot(area);
  const inner = width1 * (o.mark === "bar" ? 0.8 : 0.5);
  const step = inner / o.series.length;

  const series = o.series.map((s, i) => {
    const style = styles[i]!;
    const children: string[] = [];
    s.values.forEach((v, c) => {
      if (v === null) return;
      const cx = area.left + c * width1 + (width1 - inner) / 2 + (i + 0.5) * step;
      const y = area.y(v.value);
      if (o.mark === "bar") {
        const y0 = area.y(baseline);
        children.push(element("rect", { x: cx - step * 0.42, y: Math.min(y, y0), width: step * 0.84, height: Math.abs(y0 - y), fill: style.color }));
      }
      if (v.low !== undefined && v.high !== undefined) children.push(errorBar(cx, area.y(v.low), area.y(v.high), o.mark === "bar" ? "#222" : style.color));
      if (o.mark === "dot") children.push(markerShape(style.marker, cx, y, style.color, 5));
    });
    return group({ class: "series", "data-series": s.name }, children);
  });
  return document(width, height, o.title, [...parts, ...series]);
}

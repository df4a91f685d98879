/**
 * A heatmap of values in [0, 1]: one row per series (a gate and its tasks),
 * one column per category (an expert), each cell shaded from white (0) to
 * the palette's blue (1) and labelled with its value, so it reads in grey
 * print too. A null cell (e.g. an expert a gate does not mix) is hatched grey.
 */
import { PALETTE } from "./frame.js";
import { document, element, group, text } from "./svg.js";

export interface HeatmapOptions {
  title: string;
  rows: readonly { label: string; values: readonly (number | null)[] }[];
  columns: readonly string[];
  xLabel: string;
  note?: string;
}

const CELL = { width: 64, height: 34 };
const MARGIN = { top: 56, right: 24, bottom: 62 };

/** #0072B2 mixed with white by `t` in [0, 1]. */
function shade(t: number): string {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(PALETTE[0].slice(i, i + 2), 16)) as [number, number, number];
  const mix = (c: number) => Math.round(255 + (c - 255) * t).toString(16).padStart(2, "0");
  return `#${mix(r)}${mix(g)}${mix(b)}`;
}

export function heatmap(o: HeatmapOptions): string {
  if (o.rows.length === 0 || o.columns.length === 0) throw new Error(`heatmap '${o.title}' has no cells`);
  for (const row of o.rows) {
    if (row.values.length !== o.columns.length) throw new RangeError(`heatmap '${o.title}': row '${row.label}' has ${row.values.length} values for ${o.columns.length} columns`);
    for (const v of row.values) if (v !== null && !(v >= 0 && v <= 1)) throw new RangeError(`heatmap '${o.title}': row '${row.label}' has a value outside [0, 1] (${v})`);
  }
  // No font metrics: 7 px a character at 12 px, as the legend of frame.ts assumes.
  const left = 16 + 7 * Math.max(...o.rows.map((r) => r.label.length));
  const width = Math.max(left + o.columns.length * CELL.width + MARGIN.right, 7 * o.title.length + 40);
  const height = MARGIN.top + o.rows.length * CELL.height + MARGIN.bottom;
  const parts = [text(o.title, { x: width / 2, y: 22, "text-anchor": "middle", "font-size": 15, "font-weight": "bold" })];
  const cells = o.rows.map((row, i) => {
    const y = MARGIN.top + i * CELL.height;
    return group({ class: "heatmap-row", "data-row": row.label }, [
      text(row.label, { x: left - 8, y: y + CELL.height / 2 + 4, "text-anchor": "end" }),
      ...row.values.map((v, j) => {
        const x = left + j * CELL.width;
        if (v === null) return group({ class: "cell", "data-value": "none" }, [element("rect", { x, y, width: CELL.width, height: CELL.height, fill: "#eeeeee", stroke: "white" })]);
        return group({ class: "cell", "data-value": v.toFixed(4) }, [
          element("rect", { x, y, width: CELL.width, height: CELL.height, fill: shade(v), stroke: "white" }),
          text(v.toFixed(2), { x: x + CELL.width / 2, y: y + CELL.height / 2 + 4, "text-anchor": "middle", fill: v > 0.55 ? "white" : "#222" }),
        ]);
      }),
    ]);
  });
  const bottom = MARGIN.top + o.rows.length * CELL.height;
  const columnLabels = o.columns.map((c, j) => text(c, { x: left + (j + 0.5) * CELL.width, y: bottom + 18, "text-anchor": "middle" }));
  parts.push(...cells, group({ class: "columns" }, columnLabels));
  parts.push(text(o.xLabel, { x: left + (o.columns.length * CELL.width) / 2, y: bottom + 40, "text-anchor": "middle" }));
  if (o.note) parts.push(text(o.note, { x: width / 2, y: height - 6, "text-anchor": "middle", "font-size": 10, fill: "#555" }));
  return document(width, height, o.title, parts);
}

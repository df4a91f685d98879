/** Line charts as inline SVG: the loss per step, and each binary task's AUC on the held-out rows. */
const COLOURS = ["#1A57B8", "#C25E00", "#2E7D32", "#7B1FA2", "#B08800", "#5F6368"];

export function drawCurves(into: HTMLElement, series: Record<string, [number, number][]>, range?: { min: number; max: number }): void {
  const width = 360;
  const height = 120;
  const points = Object.values(series).flat();
  into.replaceChildren();
  if (points.length === 0) return;
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs, x0 + 1);
  const y0 = range?.min ?? Math.min(...ys);
  const y1 = Math.max(range?.max ?? Math.max(...ys), y0 + 1e-9);
  const sx = (x: number) => 4 + ((x - x0) / (x1 - x0)) * (width - 8);
  const sy = (y: number) => height - 14 - ((Math.min(Math.max(y, y0), y1) - y0) / (y1 - y0)) * (height - 22);
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  Object.entries(series).forEach(([name, data], i) => {
    const line = document.createElementNS(ns, "polyline");
    line.setAttribute("points", data.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(" "));
    line.setAttribute("fill", "none");
    line.setAttribute("stroke", COLOURS[i % COLOURS.length]!);
    line.setAttribute("stroke-width", "1.5");
    svg.append(line);
    const label = document.createElementNS(ns, "text");
    const last = data[data.length - 1]!;
    label.setAttribute("x", String(4 + i * 90));
    label.setAttribute("y", String(height - 2));
    label.setAttribute("fill", COLOURS[i % COLOURS.length]!);
    label.setAttribute("font-size", "10");
    label.textContent = `${name} ${last[1].toFixed(3)}`;
    svg.append(label);
  });
  into.append(svg);
}

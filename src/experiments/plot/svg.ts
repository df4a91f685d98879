/**
 * The few pieces of SVG text the plots are made of. Everything passes through
 * `escapeXml`, so series names and labels can hold any characters and the
 * result stays well-formed XML.
 */

export type Attributes = Record<string, string | number | undefined>;

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c]!);
}

/** Numbers in coordinates: two decimals are finer than a pixel and keep files small and stable. */
export function coord(v: number): string {
  if (!Number.isFinite(v)) throw new RangeError(`cannot draw at a non-finite coordinate (${v})`);
  return String(Math.round(v * 100) / 100);
}

/** The `points` attribute of a polygon or polyline. */
export function points(list: readonly (readonly [number, number])[]): string {
  return list.map(([x, y]) => `${coord(x)},${coord(y)}`).join(" ");
}

function attributes(attrs: Attributes): string {
  return Object.entries(attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${escapeXml(typeof v === "number" ? coord(v) : v!)}"`)
    .join("");
}

/** An element; `children` are already-rendered elements, or a text node when `text` is given. */
export function element(name: string, attrs: Attributes, children: readonly string[] = []): string {
  return children.length === 0 ? `<${name}${attributes(attrs)}/>` : `<${name}${attributes(attrs)}>${children.join("")}</${name}>`;
}

export function text(content: string, attrs: Attributes): string {
  return `<text${attributes(attrs)}>${escapeXml(content)}</text>`;
}

export function group(attrs: Attributes, children: readonly string[]): string {
  return `<g${attributes(attrs)}>${children.join("")}</g>`;
}

/** A complete SVG document with a white background (plots are read on dark pages too). */
export function document(width: number, height: number, title: string, body: readonly string[]): string {
  const root = element(
    "svg",
    { xmlns: "http://www.w3.org/2000/svg", width, height, viewBox: `0 0 ${width} ${height}`, "font-family": "Helvetica, Arial, sans-serif", "font-size": 12 },
    [`<title>${escapeXml(title)}</title>`, element("rect", { x: 0, y: 0, width, height, fill: "white" }), ...body],
  );
  return `<?xml version="1.0" encoding="UTF-8"?>\n${root}\n`;
}

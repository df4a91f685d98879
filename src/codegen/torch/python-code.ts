/**
 * Printing Python source: literals of JSON values, identifiers that are
 * valid and distinct, and a width limit the generated files keep.
 */

/** Lines longer than this are broken, one item per line, as black would. */
const WIDTH = 100;

const KEYWORDS = new Set(
  "False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield self x torch nn F".split(" "),
);

/** A Python literal of a JSON value, inline when it fits in `WIDTH - indent` columns with the `suffix` characters that follow it. */
export function pyLiteral(value: unknown, indent = 0, suffix = 0): string {
  const inline = pyInline(value);
  if (inline.length + indent + suffix <= WIDTH) return inline;
  if (typeof value === "string") return pyLongString(value, indent);
  if (value === null || typeof value !== "object") return inline;
  const pad = " ".repeat(indent + 4);
  const items = Array.isArray(value)
    ? value.map((v) => `${pad}${pyLiteral(v, indent + 4, 1)},`)
    : Object.entries(value).map(([k, v]) => `${pad}${pyString(k)}: ${pyLiteral(v, indent + 4 + pyString(k).length + 2, 1)},`);
  const [open, close] = Array.isArray(value) ? ["[", "]"] : ["{", "}"];
  return `${open}\n${items.join("\n")}\n${" ".repeat(indent)}${close}`;
}

function pyInline(value: unknown): string {
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`cannot print ${value} as a Python literal`);
    return String(value);
  }
  if (typeof value === "string") return pyString(value);
  if (Array.isArray(value)) return `[${value.map(pyInline).join(", ")}]`;
  return `{${Object.entries(value as Record<string, unknown>).map(([k, v]) => `${pyString(k)}: ${pyInline(v)}`).join(", ")}}`;
}

/** A string too long for one line as adjacent literals in parentheses, one per line, broken after spaces (Python joins them). */
function pyLongString(text: string, indent: number): string {
  const pad = " ".repeat(indent + 4);
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/(?<= )/)) {
    if (line !== "" && pad.length + pyString(line + word).length > WIDTH) {
      lines.push(line);
      line = "";
    }
    line += word;
  }
  lines.push(line);
  return `(\n${lines.map((l) => pad + pyString(l)).join("\n")}\n${" ".repeat(indent)})`;
}

/** A double-quoted Python string; JSON's escapes are Python's too. */
export function pyString(text: string): string {
  return JSON.stringify(text);
}

/** Distinct Python identifiers for names, in the order they are claimed. */
export class PyScope {
  private readonly taken = new Set<string>(KEYWORDS);

  claim(wanted: string): string {
    let base = wanted.replace(/[^A-Za-z0-9_]/g, "_");
    if (!/^[A-Za-z_]/.test(base)) base = `_${base}`;
    let name = base;
    for (let k = 2; this.taken.has(name); k++) name = `${base}_${k}`;
    this.taken.add(name);
    return name;
  }
}

import type { RawValue } from "../record.js";

/** The spec's missing markers, compared after trimming so " ?" and "? " both match "?". */
export function missingMarkers(missing: readonly string[]): Set<string> {
  return new Set(missing.map((m) => m.trim()));
}

/**
 * A test for the spec's missing markers that, for the common value (no
 * padding, longer than every marker), costs two comparisons instead of a
 * trim and a hash lookup. `trimmed`: the reader has stripped blanks already.
 */
export function missingTest(missing: readonly string[], trimmed: boolean): (value: string) => boolean {
  const markers = missingMarkers(missing);
  const longest = Math.max(0, ...[...markers].map((m) => m.length));
  return (value) => {
    const n = value.length;
    if (trimmed || n === 0 || (value.charCodeAt(0) > 32 && value.charCodeAt(n - 1) > 32 && value.charCodeAt(0) < 127 && value.charCodeAt(n - 1) < 127)) {
      return n <= longest && markers.has(value);
    }
    return markers.has(value.trim());
  };
}

/**
 * Turns a row's values into its fields object. The property stores are
 * compiled once per header (as d3-dsv does), so every record of a file gets
 * one hidden class and the stores are monomorphic; a column called
 * "__proto__" is written as a computed key, which defines an own property
 * instead of replacing the prototype. Missing values become null.
 */
export function fieldsBuilder(names: readonly string[], isMissing: (value: string) => boolean): (values: readonly string[]) => Record<string, RawValue> {
  const entries = names.map((name, i) => `${name === "__proto__" ? `[${JSON.stringify(name)}]` : JSON.stringify(name)}: m(v[${i}]) ? null : v[${i}]`);
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the source is built from JSON-quoted names only
  const build = new Function("m", "v", `return { ${entries.join(", ")} };`) as (m: (value: string) => boolean, v: readonly string[]) => Record<string, RawValue>;
  return (values) => build(isMissing, values);
}

/**
 * Assigns a field without letting a column called "__proto__" replace the
 * record's prototype (a plain assignment would), so odd headers stay data.
 */
export function setField(fields: Record<string, RawValue>, name: string, value: RawValue): void {
  if (name === "__proto__") {
    Object.defineProperty(fields, name, { value, enumerable: true, writable: true, configurable: true });
  } else {
    fields[name] = value;
  }
}

/** How a value is quoted in messages: JSON text, cut short when long. */
export function showValue(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** A delimiter as a user would write it in the spec. */
export function showDelimiter(delimiter: string): string {
  if (delimiter === "\t") return "a tab (\\t)";
  if (delimiter === " ") return "a space";
  return `'${delimiter}'`;
}

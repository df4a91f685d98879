import type { RawValue } from "../record.js";

/** The spec's missing markers, compared after trimming so " ?" and "? " both match "?". */
export function missingMarkers(missing: readonly string[]): Set<string> {
  return new Set(missing.map((m) => m.trim()));
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

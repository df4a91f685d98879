/** Markdown pieces of the report. */

/** A pipe table; `align` per column ("l" or "r", default left), numbers are usually right-aligned. */
export function table(header: readonly string[], rows: readonly (readonly string[])[], align: readonly ("l" | "r")[] = []): string {
  for (const row of rows) {
    if (row.length !== header.length) throw new Error(`table row has ${row.length} cells for ${header.length} columns: ${row.join(" | ")}`);
  }
  const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
  const rule = header.map((_, i) => (align[i] === "r" ? "---:" : "---"));
  return [header, rule, ...rows].map((r) => `| ${r.map(cell).join(" | ")} |`).join("\n");
}

/** A fixed number of decimals; NaN (an undefined AUC, say) prints as "n/a". */
export function fixed(value: number, digits: number): string {
  return Number.isNaN(value) ? "n/a" : value.toFixed(digits);
}

/** Thousands separated: 99,762. */
export function count(n: number): string {
  return n.toLocaleString("en-US");
}

/** 75 s, 4 min 5 s. */
export function duration(seconds: number): string {
  const s = Math.round(seconds);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

/**
 * One table of rows written in every data format the readers take (CSV, TSV,
 * JSONL, Parquet, and gzip-compressed CSV/TSV/JSONL), for tests that damage
 * the same data in each format. Values keep their types: a column whose
 * values are all numbers is a number column (a JSON number, a Parquet
 * DOUBLE); any other is text (a JSON string, a Parquet STRING).
 *
 * Parquet is written uncompressed and without statistics, so a test can
 * patch the bytes of a text value in place (see `patchMarker`).
 */
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { parquetWriteBuffer } from "hyparquet-writer";

export const FORMATS = ["csv", "tsv", "jsonl", "parquet", "csv.gz", "tsv.gz", "jsonl.gz"] as const;
export type Format = (typeof FORMATS)[number];

export type Value = string | number | null;
export type Row = Record<string, Value>;

export interface Table {
  columns: string[];
  rows: Row[];
}

/** A plain CSV text (header, no quoted fields, as `mtl generate` writes it) as a typed table. */
export function tableFromCsv(text: string): Table {
  const lines = text.split("\n").filter((l) => l !== "");
  const columns = lines[0]!.split(",");
  const cells = lines.slice(1).map((l) => l.split(","));
  const numeric = columns.map((_, c) => cells.every((r) => r[c] !== "" && Number.isFinite(Number(r[c]))));
  const rows = cells.map((r) => {
    assert.equal(r.length, columns.length, "a plain CSV row");
    return Object.fromEntries(columns.map((name, c) => [name, r[c] === "" ? null : numeric[c] ? Number(r[c]) : r[c]!]));
  });
  return { columns, rows };
}

/** The same table with some rows replaced or columns dropped. */
export function edited(table: Table, edit: { drop?: string[]; set?: { row: number; column: string; value: Value }[] }): Table {
  const columns = table.columns.filter((c) => !(edit.drop ?? []).includes(c));
  const rows = table.rows.map((r) => Object.fromEntries(columns.map((c) => [c, r[c] ?? null])));
  for (const { row, column, value } of edit.set ?? []) rows[row - 1]![column] = value;
  return { columns, rows };
}

/** The 1-based line (CSV/TSV: after the header) or row (JSONL, Parquet) of data row `row`. */
export function lineOf(format: Format, row: number): number {
  return format.startsWith("csv") || format.startsWith("tsv") ? row + 1 : row;
}

/** The uncompressed text of a CSV, TSV or JSONL table. */
export function tableText(format: "csv" | "tsv" | "jsonl", table: Table): string {
  if (format === "jsonl") return table.rows.map((r) => JSON.stringify(r)).join("\n") + "\n";
  const d = format === "csv" ? "," : "\t";
  const field = (v: Value) => (v === null ? "" : String(v));
  return [table.columns.join(d), ...table.rows.map((r) => table.columns.map((c) => field(r[c] ?? null)).join(d))].join("\n") + "\n";
}

export function parquetBytes(table: Table): Buffer {
  const columnData = table.columns.map((name) => {
    const values = table.rows.map((r) => r[name] ?? null);
    const numeric = values.every((v) => v === null || typeof v === "number");
    return { name, type: numeric ? ("DOUBLE" as const) : ("STRING" as const), nullable: true, data: numeric ? values : values.map((v) => (v === null ? null : String(v))) };
  });
  return Buffer.from(parquetWriteBuffer({ columnData, codec: "UNCOMPRESSED", statistics: false }));
}

/** The file bytes of a table in a format; `patch` changes the uncompressed bytes first. */
export function fileBytes(format: Format, table: Table, patch: (bytes: Buffer) => Buffer = (b) => b): Buffer {
  if (format === "parquet") return patch(parquetBytes(table));
  const base = format.replace(/\.gz$/, "") as "csv" | "tsv" | "jsonl";
  const bytes = patch(Buffer.from(tableText(base, table), "utf8"));
  return format.endsWith(".gz") ? gzipSync(bytes) : bytes;
}

/**
 * Replaces two bytes in the middle of every copy of an ASCII `marker` with
 * bytes that are not UTF-8 (0xff 0xfe), keeping the length, so that even a
 * length-prefixed Parquet string stays well formed.
 */
export function patchMarker(marker: string): (bytes: Buffer) => Buffer {
  return (bytes) => {
    const out = Buffer.from(bytes);
    let found = 0;
    for (let at = out.indexOf(marker); at >= 0; at = out.indexOf(marker, at + 1)) {
      out[at + 3] = 0xff;
      out[at + 4] = 0xfe;
      found++;
    }
    assert.ok(found > 0, `marker ${marker} not found`);
    return out;
  };
}

import { basename } from "node:path";

/** What a file's name says about how to read it. */
export interface FormatGuess {
  format: "csv" | "jsonl" | "parquet";
  /** The delimiter the extension implies (`.tsv`: tab), or null when it implies none. */
  delimiter: string | null;
  /**
   * Whether the name ends in `.gz`. Informational only: the text readers
   * recognise gzip by its magic bytes, so a mis-named file still reads.
   */
  gzip: boolean;
}

const BY_EXTENSION = new Map<string, Omit<FormatGuess, "gzip">>([
  ["csv", { format: "csv", delimiter: "," }],
  ["tsv", { format: "csv", delimiter: "\t" }],
  ["tab", { format: "csv", delimiter: "\t" }],
  ["jsonl", { format: "jsonl", delimiter: null }],
  ["ndjson", { format: "jsonl", delimiter: null }],
  ["parquet", { format: "parquet", delimiter: null }],
  ["pq", { format: "parquet", delimiter: null }],
]);

/**
 * The format a file name suggests: `.csv`, `.tsv`, `.jsonl`/`.ndjson`,
 * `.parquet`, the text ones optionally followed by `.gz`. Null when the name
 * says nothing usable (the spec's data section then decides), including
 * `.parquet.gz`, which is not streamable: Parquet compresses inside the file.
 */
export function guessFormat(file: string): FormatGuess | null {
  const parts = basename(file).toLowerCase().split(".");
  if (parts.length < 2) return null;
  let ext = parts[parts.length - 1]!;
  const gzip = ext === "gz" || ext === "gzip";
  if (gzip) {
    if (parts.length < 3) return null;
    ext = parts[parts.length - 2]!;
  }
  const known = BY_EXTENSION.get(ext);
  if (!known || (gzip && known.format === "parquet")) return null;
  return { ...known, gzip };
}
